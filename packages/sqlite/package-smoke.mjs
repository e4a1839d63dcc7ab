// Packaging check: runs in an empty project where only @history/sqlite (and
// its dependencies) is installed from the packed tarball.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteHistoryStore } from '@history/sqlite';

function check(condition, message) {
  if (!condition) throw new Error(`package smoke failed: ${message}`);
}

const dir = mkdtempSync(join(tmpdir(), 'history-sqlite-smoke-'));
try {
  const store = await createSqliteHistoryStore({ filename: join(dir, 'history.db') });
  const at = '2026-01-01T00:00:00.000Z';
  const envelopes = [1, 2, 3].map((n) => ({
    id: `e${n}`,
    type: 'message',
    sessionId: 's1',
    occurredAt: at,
    payload: { n, text: `hello ${n}` },
  }));
  const results = await store.appendMany(envelopes);
  check(results.map((r) => r.seq).join() === '1,2,3', `seqs ${JSON.stringify(results)}`);
  check(
    results.every((r) => r.duplicate === false),
    'fresh appends are not duplicates',
  );
  const again = await store.append(envelopes[1]);
  check(again.duplicate === true && again.seq === 2, `duplicate ${JSON.stringify(again)}`);

  const read = [];
  for await (const record of store.stream('s1')) read.push(record);
  check(read.length === 3, `read ${read.length} records`);
  read.forEach((r, i) => {
    check(r.id === `e${i + 1}` && r.seq === i + 1, `record ${i}: ${r.id} ${r.seq}`);
    check(
      r.envelope.payload.n === i + 1 && r.envelope.payload.text === `hello ${i + 1}`,
      'payload',
    );
  });

  await store.checkpoint('s1', { cursor: 'abc' }, { seq: 3 });
  const cp = await store.getCheckpoint('s1');
  check(cp?.payload?.cursor === 'abc' && cp.seq === 3, `checkpoint ${JSON.stringify(cp)}`);
  await store.close();
  console.log('@history/sqlite package smoke: ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
