// Packaging check: runs in an empty project where only @history/postgres (and its
// dependencies) is installed from the packed tarball. Needs HISTORY_PG_URL.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createPostgresHistoryStore, migrate } from '@history/postgres';

// pg is the package's dependency, not this project's: resolve it from the package (strict pnpm layouts too).
const pg = createRequire(import.meta.resolve('@history/postgres'))('pg');

const url = process.env.HISTORY_PG_URL;
if (!url) throw new Error('package-smoke: set HISTORY_PG_URL');
const schema = `smoke_${randomBytes(6).toString('hex')}`;

function check(condition, message) {
  if (!condition) throw new Error(`package-smoke: ${message}`);
}

try {
  // The migrations ship inside the package: migrate() finds and applies them.
  const migrated = await migrate({ connectionString: url }, { schema });
  check(
    migrated.applied.length > 0 && migrated.applied.length === migrated.version,
    'migrations applied',
  );

  const store = await createPostgresHistoryStore({ connectionString: url, schema });
  const envelopes = [1, 2, 3].map((i) => ({
    id: `evt-${i}`,
    type: 'message',
    payload: { i, text: `hello ${i}` },
    occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    sessionId: 'smoke',
  }));
  const results = await store.appendMany(envelopes);
  check(
    JSON.stringify(results.map((r) => [r.id, r.seq, r.duplicate])) ===
      JSON.stringify([
        ['evt-1', 1, false],
        ['evt-2', 2, false],
        ['evt-3', 3, false],
      ]),
    `appendMany results ${JSON.stringify(results)}`,
  );
  const duplicate = await store.append(envelopes[1]);
  check(
    duplicate.duplicate === true && duplicate.seq === 2,
    'duplicate append reports duplicate: true',
  );

  const records = [];
  for await (const record of store.stream('smoke')) records.push(record);
  check(records.length === 3, `streamed ${records.length} records`);
  records.forEach((record, k) => {
    check(record.id === `evt-${k + 1}` && record.seq === k + 1, `record ${k} id/seq`);
    check(
      JSON.stringify(record.envelope.payload) === JSON.stringify(envelopes[k].payload),
      `record ${k} payload`,
    );
  });

  await store.checkpoint('smoke', { cursor: 'evt-3' }, { seq: 3 });
  const cp = await store.getCheckpoint('smoke');
  check(cp?.seq === 3 && cp.payload.cursor === 'evt-3', `checkpoint ${JSON.stringify(cp)}`);
  await store.close();
  console.log('package-smoke: @history/postgres ok');
} finally {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
