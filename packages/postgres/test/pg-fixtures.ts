import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { quoteIdentifier } from '../src/schema-name.js';
import type { PgTarget } from './global-setup.js';

export function pgTargets(): PgTarget[] {
  return inject('pgTargets');
}

/** A random schema name no other test uses. */
export function freshSchemaName(prefix = 'hs'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A small pool for a test's own queries; ended by the caller. */
export function testPool(url: string, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  return pool;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
