import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { freshSchemaName } from './pg-fixtures.js';

/**
 * Restores `test/fixtures/upgrade-v2-<layout>.sql` (a pg_dump of a store written by the
 * release before migration 0003, see scripts/make-upgrade-fixture.mjs) into a fresh schema,
 * and returns its name. The dump's psql meta-commands (`\restrict`) are dropped: pg runs the
 * rest as one multi-statement query, on a connection of its own (the dump empties search_path).
 */
export async function restoreFixture(url: string, layout: 'plain' | 'partitioned') {
  const schema = freshSchemaName('upgrade');
  const dump = await readFile(
    new URL(`./fixtures/upgrade-v2-${layout}.sql`, import.meta.url),
    'utf8',
  );
  const sql = dump
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n')
    .replaceAll(`history_v2_${layout}`, schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
  return schema;
}
