import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { migratePool } from '../src/migrate.js';
import { loadMigrations } from '../src/migrations.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { blockedBackend, dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

const withApplicationName = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
};

for (const target of pgTargets()) {
  describe(`migration 0003 behind a long transaction (${target.name})`, () => {
    const schema = freshSchemaName('miglock');
    afterEach(() => dropSchema(target.url, schema));

    it('its ALTER TABLE gives way (lock_timeout, retried): writers do not queue behind it', async () => {
      const pool = testPool(target.url, 2);
      const blocker = new pg.Client({ connectionString: target.url });
      await blocker.connect();
      const s = quoteIdentifier(schema);
      try {
        await migratePool(pool, schema, 0, loadMigrations().slice(0, 2));
        // A long reader of events: ADD COLUMN needs ACCESS EXCLUSIVE, so it must wait for it.
        await blocker.query('BEGIN');
        await blocker.query(`SELECT count(*) FROM ${s}.events`);
        const name = `miglock-${schema}`;
        const migrating = migrate(
          { connectionString: withApplicationName(target.url, name) },
          { schema },
        );
        migrating.catch(() => {});
        await blockedBackend(pool, name);
        // A writer arriving now queues behind the waiting ALTER TABLE; it must get through
        // while the long transaction is still open, when the ALTER gives up and waits to retry.
        await pool.query(
          `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
           VALUES ('w', 1, 'w1', now(), '{}')`,
        );
        await blocker.query('COMMIT');
        expect((await migrating).applied).toEqual([3, 4]);
      } finally {
        await blocker.end();
        await pool.end();
      }
    });

    it('a migrator whose lock connection is lost records nothing, and a new run completes', async () => {
      const pool = testPool(target.url, 2);
      const blocker = new pg.Client({ connectionString: target.url });
      await blocker.connect();
      const s = quoteIdentifier(schema);
      try {
        await migratePool(pool, schema, 0, loadMigrations().slice(0, 2));
        // Holds migration 0003 at its first ALTER TABLE while the lock's connection is killed.
        await blocker.query('BEGIN');
        await blocker.query(`SELECT count(*) FROM ${s}.events`);
        const name = `miglost-${schema}`;
        const migrating = migrate(
          { connectionString: withApplicationName(target.url, name) },
          { schema },
        );
        migrating.catch(() => {});
        await blockedBackend(pool, name);
        const { rows } = await pool.query<{ pid: number }>(
          `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE a.application_name = $1 AND l.locktype = 'advisory' AND l.granted
             AND ((l.classid::bigint << 32) | l.objid::bigint)
                 = hashtextextended('history.migrate:' || $2, 0)`,
          [name, schema],
        );
        expect(rows).toHaveLength(1);
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await blocker.query('COMMIT');
        await expect(migrating).rejects.toThrow(/migration lock's connection failed/);
        const { rows: versions } = await pool.query(
          `SELECT max(version) AS version FROM ${s}.schema_migrations`,
        );
        expect(versions[0].version).toBe(2);
        expect((await migrate({ connectionString: target.url }, { schema })).applied).toEqual([
          3, 4,
        ]);
      } finally {
        await blocker.end();
        await pool.end();
      }
    });
  });
}
