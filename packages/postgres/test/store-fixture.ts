import { migrate } from '../src/index.js';
import { dropSchema, freshSchemaName } from './pg-fixtures.js';

/** A migrated fresh schema on `url`; `drop()` removes it. */
export async function migratedSchema(url: string, prefix = 'hs') {
  const schema = freshSchemaName(prefix);
  await migrate({ connectionString: url }, { schema });
  return { schema, drop: () => dropSchema(url, schema) };
}
