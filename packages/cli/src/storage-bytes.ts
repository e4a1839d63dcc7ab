import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type pg from 'pg';
import type { StoreLocation } from './store-url.js';

/**
 * What the store takes on disk: a file root's files, a SQLite database with its WAL, a
 * PostgreSQL schema's tables with their indexes and TOAST (`pg_total_relation_size`).
 */
export async function storageBytes(location: StoreLocation): Promise<number> {
  switch (location.kind) {
    case 'file':
      return directoryBytes(location.root);
    case 'sqlite': {
      let total = 0;
      for (const suffix of ['', '-wal']) {
        total += await stat(`${location.filename}${suffix}`).then(
          (s) => s.size,
          () => 0,
        );
      }
      return total;
    }
    case 'postgres':
      return schemaBytes(location.connectionString, location.schema ?? 'history');
  }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

async function schemaBytes(connectionString: string, schema: string): Promise<number> {
  // pg comes with @history/postgres (already loaded to open the store): resolve it from there.
  const require = createRequire(import.meta.resolve('@history/postgres'));
  const { Client } = require('pg') as typeof pg;
  const client = new Client({ connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
      [schema],
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
  }
}
