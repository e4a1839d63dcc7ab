// Remakes test/fixtures/upgrade-v2-*.sql: stores written by the release before migration
// 0003 (commit 5ef4f53, schema version 2), for test/upgrade.pg.test.ts.
//
//   OLD_POSTGRES=/work/old-5ef4f53/packages/postgres \
//   HISTORY_PG_URL=postgres://postgres@127.0.0.1:5432/test node scripts/make-upgrade-fixture.mjs
//
// OLD_POSTGRES is a built checkout's packages/postgres (its dist is imported, never this
// package's). Each layout (plain, 4 hash partitions) is written into a schema of a fixed name,
// dumped with pg_dump (--inserts: the test replays the dump through pg, which cannot feed
// COPY ... FROM stdin), then dropped. Needs pg_dump on the PATH (15 or later).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const url = process.env.HISTORY_PG_URL;
const old = process.env.OLD_POSTGRES ?? '/work/old-5ef4f53/packages/postgres';
if (!url) throw new Error('set HISTORY_PG_URL');
const { createPostgresHistoryStore } = await import(pathToFileURL(`${old}/dist/index.js`).href);

const at = (minute) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const event = (sessionId, n, extra = {}) => ({
  id: `${sessionId}-e${n}`,
  type: 'message',
  payload: { n, text: `old event ${n} of ${sessionId}` },
  occurredAt: at(n),
  sessionId,
  ...extra,
});

/** What the upgrade test expects, written beside the dumps by the same run. */
async function write(store) {
  // `alpha`: events with and without ttlMs (the old release stored it in the envelope and
  // ignored it; e2 and e3 have expired since), a retried id, a checkpoint. The e2 of the
  // others expires in 2125. `a%_b` and `a_b`: LIKE wildcards in ids. `Zeta` sorts before
  // `alpha` in byte order; `é` after every ASCII id.
  await store.appendMany([event('alpha', 1), event('alpha', 2, { ttlMs: 60_000 })]);
  await store.append(event('alpha', 3, { ttlMs: 1 }));
  await store.append(event('alpha', 1)); // duplicate: stays seq 1
  await store.appendMany([event('alpha', 4), event('alpha', 5)]);
  await store.checkpoint('alpha', { upTo: 5, summary: 'old checkpoint' }, { seq: 5 });
  const century = 100 * 365 * 24 * 3_600_000;
  for (const sessionId of ['a%_b', 'a_b', 'Zeta', 'é']) {
    await store.appendMany([event(sessionId, 1), event(sessionId, 2, { ttlMs: century })]);
  }
  await store.checkpoint('checkpoint-only', { lonely: true });
}

const admin = new pg.Client({ connectionString: url });
await admin.connect();
try {
  for (const [layout, partitions] of [
    ['plain', 0],
    ['partitioned', 4],
  ]) {
    const schema = `history_v2_${layout}`;
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const store = await createPostgresHistoryStore({ connectionString: url, schema, partitions });
    await write(store);
    await store.close();
    const dump = execFileSync(
      'pg_dump',
      ['--schema', schema, '--inserts', '--no-owner', '--no-privileges', '--dbname', url],
      { encoding: 'utf8' },
    );
    const file = new URL(`../test/fixtures/upgrade-v2-${layout}.sql`, import.meta.url);
    writeFileSync(file, dump);
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    console.log(`wrote ${file.pathname}`);
  }
} finally {
  await admin.end();
}
