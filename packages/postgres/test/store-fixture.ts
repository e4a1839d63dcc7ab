import type { Envelope } from '@history/core';
import { migrate } from '../src/index.js';
import { dropSchema, freshSchemaName } from './pg-fixtures.js';

/** A migrated fresh schema on `url`; `drop()` removes it. */
export async function migratedSchema(url: string, prefix = 'hs') {
  const schema = freshSchemaName(prefix);
  await migrate({ connectionString: url }, { schema });
  return { schema, drop: () => dropSchema(url, schema) };
}

export function event(i: number, sessionId = 's1', extra: Partial<Envelope> = {}): Envelope {
  return {
    id: `e${i}`,
    type: 'message',
    payload: { i, text: `event ${i}` },
    occurredAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    sessionId,
    ...extra,
  };
}
