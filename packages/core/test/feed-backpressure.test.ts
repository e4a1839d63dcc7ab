import { describe, expect, it } from 'vitest';
import {
  createBackendStore,
  type FeedPageRequest,
  MemoryBackend,
  resolveStoreOptions,
} from '../src/backend.js';

const envelope = (i: number) => ({
  id: `e${i}`,
  sessionId: `s${i % 7}`,
  type: 't',
  payload: { i },
  occurredAt: '2025-01-01T00:00:00Z',
});

/** A memory backend counting the feed pages read. */
function countingBackend() {
  const backend = new MemoryBackend();
  const read = backend.readFeed.bind(backend);
  const calls: FeedPageRequest[] = [];
  backend.readFeed = (request) => {
    calls.push(request);
    return read(request);
  };
  return { backend, calls };
}

describe('a feed follower that stops reading', () => {
  it('reads nothing more while commits go on: it holds one page at most', async () => {
    const { backend, calls } = countingBackend();
    const store = createBackendStore(backend, resolveStoreOptions({ followPollMs: 1 }));
    await store.appendMany(Array.from({ length: 10 }, (_, i) => envelope(i)));
    const controller = new AbortController();
    const feed = store.feed({ follow: true, signal: controller.signal })[Symbol.asyncIterator]();
    expect((await feed.next()).value?.record.id).toBe('e0');
    const readsWhileReading = calls.length;
    // Thousands of commits, each waking followers, and poll intervals passing meanwhile.
    for (let i = 10; i < 5010; i += 100) {
      await store.appendMany(Array.from({ length: 100 }, (_, k) => envelope(i + k)));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.length).toBe(readsWhileReading);
    // Reading again resumes exactly where it stopped, lazily.
    const ids: string[] = [];
    for (let next = await feed.next(); !next.done; next = await feed.next()) {
      ids.push(next.value.record.id);
      if (ids.length === 5009) controller.abort();
    }
    expect(ids).toEqual(Array.from({ length: 5009 }, (_, k) => `e${k + 1}`));
    expect(calls.every((c) => c.limit <= 1000)).toBe(true);
    await store.close();
  });
});
