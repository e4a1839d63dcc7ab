// Shared by the measurement scripts: HISTORY_PG_URL when set, else a throw-away
// embedded PostgreSQL; plus a fresh schema dropped at the end.
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres } from '@history/test-services';
import pg from 'pg';

export async function pgTarget() {
  const embedded = process.env.HISTORY_PG_URL ? undefined : await startEmbeddedPostgres();
  const url = process.env.HISTORY_PG_URL ?? embedded.url;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas = [];
  return {
    url,
    name: embedded ? 'embedded PostgreSQL 17' : 'HISTORY_PG_URL',
    admin,
    schema(prefix) {
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      schemas.push(name);
      return name;
    },
    async close() {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      // pool.end() does not wait for its clients' sockets to close: one still open when the
      // embedded server stops hears its shutdown notice (57P01), an unhandled 'error' then.
      admin.on('error', () => {});
      await admin.end();
      await embedded?.stop();
    },
  };
}

export function envelopes(count, { session = 's1', start = 0, payloadBytes = 200 } = {}) {
  const text = 'x'.repeat(payloadBytes);
  return Array.from({ length: count }, (_, k) => ({
    id: `e${start + k}`,
    type: 'message',
    payload: { role: 'assistant', text, n: start + k, tags: ['a', 'b'], nested: { ok: true } },
    occurredAt: new Date(Date.UTC(2025, 0, 1) + (start + k) * 1000).toISOString(),
    sessionId: session,
  }));
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const p95 = (xs) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
