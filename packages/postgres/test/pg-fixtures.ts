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

/** Waits (bounded) until a backend of `applicationName` is blocked on a lock, and returns its pid. */
export async function blockedBackend(observer: pg.Pool, applicationName: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await observer.query(
      `SELECT pid FROM pg_stat_activity
       WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no backend of ${applicationName} ever waited on a lock`);
}
