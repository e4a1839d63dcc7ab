import { fileURLToPath } from 'node:url';
import { startReadyChild } from '@history/test-services/ready-child';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { latestVersion } from '../src/migrations.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { dropSchema, freshSchemaName, testPool } from './pg-fixtures.js';
import { bouncerUpstream, pgBouncerForSuite } from './pgbouncer-fixture.js';

const WORKER = fileURLToPath(new URL('./fixtures/migrate-worker.mjs', import.meta.url));
const PROCESSES = 4;
/** Fewer server connections than processes: they share them, as behind any busy pooler. */
const SERVER_CONNECTIONS = 3;
/** Settings a migration sets for its statements; none may stay on a server connection. */
const SETTINGS = ['search_path', 'lock_timeout', 'idle_in_transaction_session_timeout'];

const upstream = bouncerUpstream();

/** Each setting of SETTINGS on every server connection of the pooler at `url`. */
async function serverSettings(url: string): Promise<Record<string, string>[]> {
  // Each client in a transaction holds a server connection: all of them, one each.
  const clients = Array.from({ length: SERVER_CONNECTIONS }, () => new pg.Client(url));
  try {
    for (const c of clients) {
      await c.connect();
      await c.query('BEGIN');
    }
    const found = [];
    for (const c of clients) {
      const { rows } = await c.query<Record<string, string>>(
        `SELECT pg_backend_pid() AS pid, ${SETTINGS.map((s) => `current_setting('${s}') AS ${s}`).join(', ')}`,
      );
      found.push(rows[0]!);
    }
    expect(new Set(found.map((r) => r.pid)).size).toBe(SERVER_CONNECTIONS);
    return found.map(({ pid: _, ...settings }) => settings);
  } finally {
    for (const c of clients) await c.end().catch(() => {});
  }
}

describe(`concurrent migrations through PgBouncer, pool_mode = transaction (in front of ${upstream.name})`, () => {
  const bouncer = pgBouncerForSuite(upstream, SERVER_CONNECTIONS);

  for (const partitions of [0, 2]) {
    it(`${PROCESSES} processes migrate one schema at once (partitions: ${partitions}): each migration once, every index valid, nothing left on the server connections`, async () => {
      const schema = freshSchemaName('bouncermig');
      const observer = testPool(upstream.url, 1);
      try {
        const workers = await Promise.all(
          Array.from({ length: PROCESSES }, () =>
            startReadyChild(WORKER, [], {
              HISTORY_TEST_URL: bouncer.url,
              HISTORY_TEST_SCHEMA: schema,
              HISTORY_TEST_PARTITIONS: String(partitions),
            }),
          ),
        );
        for (const { child } of workers) child.stdin.write('go\n');
        const results = [];
        for (const { exited, output } of workers) {
          expect((await exited)[0]).toBe(0);
          results.push(JSON.parse(output().split('\n')[1]!));
        }
        const latest = latestVersion();
        expect(results.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(
          Array.from({ length: latest }, (_, i) => i + 1),
        );
        expect(results.map((r) => r.version)).toEqual(Array(PROCESSES).fill(latest));

        const s = quoteIdentifier(schema);
        const { rows: versions } = await observer.query(
          `SELECT version FROM ${s}.schema_migrations ORDER BY version`,
        );
        expect(versions.map((r) => r.version)).toEqual(
          Array.from({ length: latest }, (_, i) => i + 1),
        );
        // Every index built concurrently (in the schema, through the pooler) is there and valid;
        // the backfill's temporary ones are gone.
        const { rows: indexes } = await observer.query<{ name: string; valid: boolean }>(
          `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           WHERE c.relnamespace = $1::regnamespace ORDER BY c.relname`,
          [s],
        );
        expect(indexes.filter((i) => !i.valid)).toEqual([]);
        const names = indexes.map((i) => i.name);
        const leaves = partitions === 0 ? ['events'] : ['events_p0', 'events_p1'];
        for (const index of [
          'sessions_session_id_c',
          'events_expires_at',
          'events_feed',
          ...leaves.flatMap((leaf) =>
            partitions === 0 ? [] : [`${leaf}_expires_at`, `${leaf}_feed`],
          ),
        ])
          expect(names).toContain(index);
        expect(names.filter((n) => n.endsWith('_feed_backfill'))).toEqual([]);
        // The migration lock went with its transactions: no server connection holds it.
        const { rows: locks } = await observer.query(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 1
             AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('history.migrate:' || $1, 0)`,
          [schema],
        );
        expect(locks[0].n).toBe(0);
        // And no setting stayed behind on any server connection the migrations ran on.
        const { rows: defaults } = await observer.query(
          `SELECT ${SETTINGS.map((x) => `current_setting('${x}') AS ${x}`).join(', ')}`,
        );
        expect(await serverSettings(bouncer.url)).toEqual(
          Array(SERVER_CONNECTIONS).fill(defaults[0]),
        );
      } finally {
        await observer.end();
        await dropSchema(upstream.url, schema);
      }
    });
  }
});
