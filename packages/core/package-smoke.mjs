// Run by the packaging check in an empty project where only @history/core is installed.
import assert from 'node:assert/strict';
import { createMemoryHistoryStore, HistoryError } from '@history/core';

const store = createMemoryHistoryStore();
const at = '2025-01-01T00:00:00Z';
const results = await store.appendMany(
  [1, 2, 3].map((i) => ({
    id: `e${i}`,
    type: 'msg',
    payload: { i },
    occurredAt: at,
    sessionId: 's',
  })),
);
assert.deepEqual(
  results.map((r) => r.seq),
  [1, 2, 3],
);
assert.equal(
  (await store.append({ id: 'e2', type: 'msg', payload: {}, occurredAt: at, sessionId: 's' }))
    .duplicate,
  true,
);
const seen = [];
for await (const r of store.stream('s')) seen.push([r.id, r.seq, r.envelope.payload.i]);
assert.deepEqual(seen, [
  ['e1', 1, 1],
  ['e2', 2, 2],
  ['e3', 3, 3],
]);
await store.checkpoint('s', { upTo: 3 }, { seq: 3 });
assert.deepEqual((await store.getCheckpoint('s')).payload, { upTo: 3 });
await store.close();
await assert.rejects(
  store.append({ id: 'x', type: 't', payload: 1, occurredAt: at }),
  (e) => HistoryError.isInstance(e) && e.code === 'HISTORY_CLOSED',
);
console.log('@history/core smoke ok');
