import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { envelope } from '@history/contract-tests';
import type { HistoryRecord, HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openDescriptors = () => readdirSync('/proc/self/fd').length;

async function fill(store: HistoryStore, sessionId: string, count: number, bytes: number) {
  const text = 'x'.repeat(bytes);
  for (let i = 0; i < count; i += 1000) {
    await store.appendMany(
      Array.from({ length: Math.min(1000, count - i) }, (_, k) =>
        envelope(i + k, { sessionId, payload: { n: i + k, text } }),
      ),
    );
  }
}

/** Pulls what is left of a stream; returns how many records came and the error it ended with. */
async function drain(iterator: AsyncIterator<HistoryRecord>) {
  let records = 0;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return { records, error: undefined };
      records++;
    }
  } catch (error) {
    return { records, error: error as { code?: string } };
  }
}

describe.skipIf(process.platform !== 'linux')('streams abandoned by their consumer', () => {
  // Each case: [session, events, payload bytes]. 300 small events are one synchronous read
  // (more than one 256-record page); 3,000 of 1 KiB are read in chunks with a read in flight.
  it.each([
    ['one page and more', 300, 20, 200],
    ['read in chunks', 3000, 1000, 20],
  ])('are closed by close(): %s', async (_, events, bytes, streams) => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const baseline = openDescriptors();
    const store = await createFileHistoryStore({ root: root.path });
    await fill(store, 's', events, bytes);
    const iterators: Array<AsyncIterator<HistoryRecord>> = [];
    for (let i = 0; i < streams; i++) {
      const iterator = store.stream('s')[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ seq: 1 });
      iterators.push(iterator);
    }
    // A backward stream holds its handle too.
    const backward = store.stream('s', { direction: 'backward' })[Symbol.asyncIterator]();
    expect((await backward.next()).value).toMatchObject({ seq: events });
    iterators.push(backward);
    expect(openDescriptors()).toBeGreaterThanOrEqual(baseline + streams);

    await store.close();
    expect(openDescriptors()).toBe(baseline);

    // The freed descriptor numbers are reused by other files: the streams must not read them.
    const others = await Promise.all(
      Array.from({ length: streams }, () => open(`${root.path}/history-file.json`, 'r')),
    );
    try {
      for (const iterator of iterators) {
        const { records, error } = await drain(iterator);
        // What the consumer already held in its page may still come; then the stream ends closed.
        expect(records).toBeLessThan(256);
        expect(error?.code).toBe('HISTORY_CLOSED');
      }
    } finally {
      for (const handle of others) await handle.close();
    }
    expect(openDescriptors()).toBe(baseline);
  });

  it('finished and left streams release their handle before close()', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const store = await createFileHistoryStore({ root: root.path });
    await fill(store, 's', 300, 20);
    const baseline = openDescriptors();
    let last = 0;
    for await (const record of store.stream('s')) last = record.seq;
    expect(last).toBe(300);
    for await (const record of store.stream('s', { after: 10 })) {
      expect(record.seq).toBe(11);
      break;
    }
    expect(openDescriptors()).toBe(baseline);
    await store.close();
  });
});
