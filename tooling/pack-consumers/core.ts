// Type-checked by tooling/pack-check.mjs in a project where only @history/core is installed.
import {
  createMemoryHistoryStore,
  type Envelope,
  HistoryError,
  type HistoryRecord,
  type HistoryStore,
} from '@history/core';
import {
  createBackendStore,
  type HistoryBackend,
  MemoryBackend,
  resolveStoreOptions,
} from '@history/core/backend';

const store: HistoryStore = createMemoryHistoryStore({ maxBatchSize: 100 });
const event: Envelope = { id: 'e1', type: 'message', payload: { text: 'hi' }, occurredAt: '' };
const { seq, duplicate }: { seq: number; duplicate: boolean } = await store.append(event);
for await (const record of store.stream('s1', { after: seq, direction: 'backward' })) {
  const r: HistoryRecord = record;
  r.envelope.type satisfies string;
}
try {
  await store.close();
} catch (error) {
  if (HistoryError.isInstance(error)) error.code satisfies string;
}
// The options are typed, not `any`: an unknown key does not compile.
// @ts-expect-error
createMemoryHistoryStore({ noSuchOption: true });

// An adapter author's side: the backend subpath resolves, and builds a store.
const backend: HistoryBackend = new MemoryBackend();
const built: HistoryStore = createBackendStore(backend, resolveStoreOptions({}));

export { built, duplicate };
