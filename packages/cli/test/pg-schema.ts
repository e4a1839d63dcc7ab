import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A store URL on a fresh schema of the tests' PostgreSQL (see global-setup.ts), and a way to
 * drop it and to query it.
 */
export function pgStore(): {
  url: string;
  schema: string;
  query: pg.Pool['query'];
  drop(): Promise<void>;
} {
  const base = inject('pgUrl');
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: base, max: 2 });
  pool.on('error', () => {});
  return {
    url: `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`,
    schema,
    query: pool.query.bind(pool) as pg.Pool['query'],
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
