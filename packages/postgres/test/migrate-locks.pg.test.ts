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
  });
}
