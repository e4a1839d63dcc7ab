import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { envelope } from '@history/contract-tests';
import { InvalidArgumentError, SchemaVersionError, StorageError } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore, migrate } from '../src/index.js';
import { migratePool } from '../src/migrate.js';
import { latestVersion, loadMigrations } from '../src/migrations.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

for (const target of pgTargets()) {
  describe(`migrations (${target.name})`, () => {
    const schemas: string[] = [];
    const schemaFor = (name = freshSchemaName('mig')) => {
      schemas.push(name);
      return name;
    };
    afterEach(async () => {
      for (const s of schemas.splice(0)) await dropSchema(target.url, s);
    });

    it('ten concurrent migrate() calls on separate connections apply each migration exactly once', async () => {
      const schema = schemaFor();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => migrate({ connectionString: target.url }, { schema })),
      );
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toEqual(Array.from({ length: latestVersion() }, (_, i) => i + 1));
      expect(results.every((r) => r.version === latestVersion())).toBe(true);
      const pool = testPool(target.url);
      try {
        const { rows } = await pool.query(
          `SELECT version FROM ${quoteIdentifier(schema)}.schema_migrations ORDER BY version`,
        );
        expect(rows.map((r) => r.version)).toEqual(applied);
      } finally {
        await pool.end();
      }
      // Already current: nothing more to apply.
      expect((await migrate({ connectionString: target.url }, { schema })).applied).toEqual([]);
    });

    it('a hostile schema name is only ever a quoted identifier', async () => {
      const pool = testPool(target.url);
      const victim = schemaFor(freshSchemaName('victim'));
      const hostile = schemaFor(`a"; DROP TABLE ${victim}.x; --`);
      try {
        await pool.query(`CREATE SCHEMA ${victim}; CREATE TABLE ${victim}.x (n int)`);
        const store = await createPostgresHistoryStore({ pool, schema: hostile });
        const [r] = await store.appendMany([envelope(1, { sessionId: 's' })]);
        expect(r).toMatchObject({ seq: 1, duplicate: false });
        await store.checkpoint('s', { ok: true }, { seq: 1 });
        expect((await store.getCheckpoint('s'))?.payload).toEqual({ ok: true });
        const seen = [];
        for await (const rec of store.stream('s', { after: 0, from: '2024-01-01T00:00:00Z' }))
          seen.push(rec.id);
        expect(seen).toEqual(['evt-1']);
        await store.close();
        const { rows } = await pool.query(
          'SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname = $2 ORDER BY nspname',
          [hostile, victim],
        );
        expect(rows.map((r) => r.nspname).sort()).toEqual([hostile, victim].sort());
        await expect(pool.query(`SELECT count(*) FROM ${victim}.x`)).resolves.toBeDefined();
      } finally {
        await pool.end();
      }
    });

    it('runs a no-transaction migration (CREATE INDEX CONCURRENTLY) and rolls back a failing one', async () => {
      const schema = schemaFor();
      const dir = await mkdtemp(join(tmpdir(), 'history-migrations-'));
      const pool = testPool(target.url);
      try {
        await copyFile(
          new URL('../migrations/0001_initial.sql', import.meta.url),
          join(dir, '0001_initial.sql'),
        );
        await writeFile(
          join(dir, '0002_time_index.sql'),
          '-- Down: DROP INDEX CONCURRENTLY events_time;\n-- history:no-transaction\n-- history:each\n' +
            "SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS events_time ON %I.events (session_id, occurred_at)', current_schema());\n",
        );
        // A transactional migration failing half-way: its first statement must not survive.
        await writeFile(
          join(dir, '0003_broken.sql'),
          'CREATE TABLE half_done (n int);\nSELECT * FROM no_such_table;\n',
        );
        const migrations = loadMigrations(pathToFileURL(`${dir}/`));
        expect(migrations.map((m) => [m.version, m.transactional])).toEqual([
          [1, true],
          [2, false],
          [3, true],
        ]);
        await expect(migratePool(pool, schema, 0, migrations)).rejects.toThrow(/no_such_table/);
        const { rows } = await pool.query(
          `SELECT (SELECT max(version) FROM ${quoteIdentifier(schema)}.schema_migrations) AS version,
                  to_regclass($1) IS NOT NULL AS index_exists,
                  to_regclass($2) IS NOT NULL AS half_done_exists`,
          [`${quoteIdentifier(schema)}.events_time`, `${quoteIdentifier(schema)}.half_done`],
        );
        expect(rows[0]).toEqual({ version: 2, index_exists: true, half_done_exists: false });
        // The session's search_path was restored after the non-transactional migration.
        const client = await pool.connect();
        try {
          const path = await client.query('SHOW search_path');
          expect(path.rows[0].search_path).not.toContain(schema);
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('partitions: N creates events hash-partitioned by session_id, pruned to one partition per read', async () => {
      const schema = schemaFor();
      await migrate({ connectionString: target.url }, { schema, partitions: 4 });
      const pool = testPool(target.url);
      try {
        const events = `${quoteIdentifier(schema)}.events`;
        const { rows } = await pool.query(
          `SELECT (SELECT count(*)::int FROM pg_inherits WHERE inhparent = $1::regclass) AS partitions,
                  (SELECT partstrat FROM pg_partitioned_table WHERE partrelid = $1::regclass) AS strategy`,
          [events],
        );
        expect(rows[0]).toEqual({ partitions: 4, strategy: 'h' });
        const store = await createPostgresHistoryStore({ pool, schema, partitions: 4 });
        await store.appendMany(
          ['a', 'b', 'c', 'd', 'e', 'f'].map((s, i) => envelope(i, { sessionId: s })),
        );
        await store.close();
        const spread = await pool.query(`SELECT count(DISTINCT tableoid)::int AS n FROM ${events}`);
        expect(spread.rows[0].n).toBeGreaterThan(1);
        const plan = await pool.query(
          `EXPLAIN (FORMAT JSON) SELECT * FROM ${events} WHERE session_id = 'a' ORDER BY seq LIMIT 10`,
        );
        const text = JSON.stringify(plan.rows[0]['QUERY PLAN']);
        expect(text.match(/"Relation Name":"events_p\d+"/g)).toHaveLength(1);
      } finally {
        await pool.end();
      }
    });

    it.each([0, 2])(
      'migrates a version-1 schema with data (partitions: %i) to text envelopes (and on to the latest), every byte kept',
      async (partitions) => {
        const schema = schemaFor();
        const pool = testPool(target.url);
        const s = quoteIdentifier(schema);
        // A JSON text jsonb would normalise (key order, spacing) and a \u0000 escape.
        const original = '{"z":1, "a":"\\u0000","id":"e1"}';
        const v1Append = (id: string, envelope: string) =>
          pool.query(
            `SELECT r_seq::int AS seq, r_duplicate AS duplicate
             FROM ${s}.append_batch($1::text[], $1::text[], $2::text[], $3::timestamptz[], $4::json[])`,
            [['s'], [id], ['2025-01-01T00:00:00Z'], [envelope]],
          );
        try {
          await migratePool(pool, schema, partitions, loadMigrations().slice(0, 1));
          expect((await v1Append('e1', original)).rows).toEqual([{ seq: 1, duplicate: false }]);

          expect((await migrate({ pool }, { schema })).applied).toEqual([2, 3, 4]);
          const { rows: columns } = await pool.query(
            `SELECT data_type FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = 'events' AND column_name = 'envelope'`,
            [schema],
          );
          expect(columns).toEqual([{ data_type: 'text' }]);

          // A process of the previous version still appends (its json lands as text).
          expect((await v1Append('e2', '{"id":"e2"}')).rows).toEqual([
            { seq: 2, duplicate: false },
          ]);
          const store = await createPostgresHistoryStore({ pool, schema, migrate: false });
          const [r] = await store.appendMany([envelope(3, { id: 'e3', sessionId: 's' })]);
          expect(r).toMatchObject({ seq: 3, duplicate: false });
          const seen = [];
          for await (const rec of store.stream('s')) seen.push([rec.seq, rec.id]);
          expect(seen).toEqual([
            [1, 'e1'],
            [2, 'e2'],
            [3, 'e3'],
          ]);
          await store.close();
          const { rows } = await pool.query(`SELECT envelope FROM ${s}.events WHERE id = 'e1'`);
          expect(rows).toEqual([{ envelope: original }]);
        } finally {
          await pool.end();
        }
      },
    );

    it('refuses a schema written by a newer version of the package', async () => {
      const schema = schemaFor();
      await migrate({ connectionString: target.url }, { schema });
      const pool = testPool(target.url);
      try {
        await pool.query(
          `INSERT INTO ${quoteIdentifier(schema)}.schema_migrations (version, name) VALUES ($1, 'future')`,
          [latestVersion() + 1],
        );
        const error = await migrate({ pool }, { schema }).catch((e) => e);
        expect(SchemaVersionError.isInstance(error)).toBe(true);
        const opened = await createPostgresHistoryStore({ pool, schema, migrate: false }).catch(
          (e) => e,
        );
        expect(SchemaVersionError.isInstance(opened)).toBe(true);
      } finally {
        await pool.end();
      }
    });

    it('with migrate: false, a current schema opens and works', async () => {
      const schema = schemaFor();
      await migrate({ connectionString: target.url }, { schema });
      const store = await createPostgresHistoryStore({
        connectionString: target.url,
        schema,
        migrate: false,
      });
      const [r] = await store.appendMany([envelope(1, { sessionId: 's' })]);
      expect(r).toMatchObject({ seq: 1, duplicate: false });
      await store.close();
    });

    it('with migrate: false, opening an unmigrated schema fails and creates nothing', async () => {
      const schema = schemaFor();
      const error = await createPostgresHistoryStore({
        connectionString: target.url,
        schema,
        migrate: false,
      }).catch((e) => e);
      expect(StorageError.isInstance(error)).toBe(true);
      expect(String(error.message)).toMatch(/migrate/);
      const pool = testPool(target.url);
      try {
        const { rowCount } = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
          schema,
        ]);
        expect(rowCount).toBe(0);
      } finally {
        await pool.end();
      }
    });
  });
}

describe('option validation', () => {
  const url = 'postgres://nobody@127.0.0.1:1/none';
  it.each([
    [{}, 'options.connectionString'],
    [{ connectionString: '' }, 'options.connectionString'],
    [{ pool: {} }, 'options.pool'],
    [{ connectionString: url, schema: '' }, 'options.schema'],
    [{ connectionString: url, schema: 'x'.repeat(64) }, 'options.schema'],
    [{ connectionString: url, schema: 'a\0b' }, 'options.schema'],
    [{ connectionString: url, migrate: 'yes' }, 'options.migrate'],
    [{ connectionString: url, copyThreshold: 0 }, 'options.copyThreshold'],
    [{ connectionString: url, pageSize: 1.5 }, 'options.pageSize'],
    [{ connectionString: url, pageBytes: 0 }, 'options.pageBytes'],
    [{ connectionString: url, pageBytes: '4MB' }, 'options.pageBytes'],
    [{ connectionString: url, poolSize: -1 }, 'options.poolSize'],
    [{ connectionString: url, partitions: -2 }, 'options.partitions'],
    [{ connectionString: url, maxBatchSize: 0 }, 'options.maxBatchSize'],
    [{ connectionString: url, colour: 'blue' }, 'options.colour'],
    [{ connectionString: url, pool: {} }, 'options'],
    [null, 'options'],
  ])('rejects %j naming %s, before connecting', async (options, field) => {
    const error = await createPostgresHistoryStore(options as never).catch((e) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.field).toBe(field);
  });

  it('an unreachable server rejects with a transient StorageError', async () => {
    const error = await createPostgresHistoryStore({ connectionString: url }).catch((e) => e);
    expect(StorageError.isInstance(error)).toBe(true);
    expect(error.transient).toBe(true);
  });

  it.each([
    [{ connectionString: url }, { schema: '' }, 'options.schema'],
    [{ connectionString: url }, { partitions: 1.5 }, 'options.partitions'],
    [{ connectionString: url }, null, 'options'],
    [{ connectionString: url, pool: {} }, {}, 'connection'],
    [null, {}, 'connection'],
  ])('migrate(%j, %j) rejects naming %s, before connecting', async (connection, options, field) => {
    const error = await migrate(connection as never, options as never).catch((e) => e);
    expect(error).toMatchObject({ code: 'HISTORY_INVALID_ARGUMENT', field });
  });
});
