import { readdirSync, readlinkSync } from 'node:fs';
import { envelope, toArray } from '@history/contract-tests';
import type { Envelope } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileBackend } from '../src/file-backend.js';
import { sessionFiles } from '../src/session-files.js';
import { type Cleanups, openBackendStore } from './backend-store.js';

// A feed page reads each session's runs with one read and cuts the runs out of it (see
// read-feed.ts), and keeps session files open between pages (feed-handles.ts). These tests
// check the records that come out against the order they were written in.

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const openBackend = (options: Record<string, unknown> = {}) => openBackendStore(cleanups, options);

const key = (e: { sessionId: string; id: string }) => `${e.sessionId}/${e.id}`;
const expired = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };

/** Every entry after `after`, through pages of `limit`; checks each page's bounds. */
async function readAll(backend: FileBackend, limit: number, after?: string) {
  const out: Array<{ position: string; sessionId: string; id: string; seq: number }> = [];
  let cursor = after;
  for (;;) {
    const page = await backend.readFeed({
      ...(cursor === undefined ? {} : { after: cursor }),
      limit,
    });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    for (const e of page.entries) out.push(e);
    const next = page.position ?? page.entries.at(-1)?.position ?? cursor;
    if (page.entries.length === 0 && next === cursor) return out;
    cursor = next;
  }
}

/** Positions rise strictly: no record twice, none out of order. */
function expectRising(entries: Array<{ position: string }>): void {
  const positions = entries.map((e) => Number(e.position));
  for (let k = 1; k < positions.length; k++) {
    expect(positions[k]).toBeGreaterThan(positions[k - 1]!);
  }
}

describe('feed pages cut out of one read per session', () => {
  it('single appends interleaved over sessions, pages cut by count and by bytes', async () => {
    // ~150 B of JSON a record, so 1,000 bytes cut a page every few records.
    const { backend, store } = await openBackend({ pageBytes: 1000 });
    const written: Envelope[] = [];
    const put = async (batch: Envelope[]) => {
      await store.appendMany(batch);
      written.push(...batch);
    };
    let i = 0;
    for (let round = 0; round < 30; round++) {
      for (const s of ['a', 'b', 'c', 'd']) await put([envelope(i++, { sessionId: s })]);
      // Now and then a batch over several sessions (runs of a few records, in another order).
      if (round % 7 === 3) {
        await put([
          ...Array.from({ length: 3 }, () => envelope(i++, { sessionId: 'c' })),
          envelope(i++, { sessionId: 'a' }),
          ...Array.from({ length: 2 }, () => envelope(i++, { sessionId: 'b' })),
        ]);
      }
    }
    const expected = written.map((e) => key({ sessionId: e.sessionId!, id: e.id }));
    for (const limit of [1, 3, 7, 1000]) {
      const entries = await readAll(backend, limit);
      expect(entries.map(key)).toEqual(expected);
      expect(entries.map((e) => Number(e.position))).toEqual(expected.map((_, k) => k + 1));
      // From inside every run: the rest, exactly.
      const from = entries[41]!.position;
      expect((await readAll(backend, limit, from)).map(key)).toEqual(expected.slice(42));
    }
  });

  it('a session whose runs in a page pass 1 MiB (read asynchronously) between small ones', async () => {
    const { backend, store } = await openBackend();
    const big = 'x'.repeat(200_000);
    const expected: string[] = [];
    for (let k = 0; k < 8; k++) {
      await store.append(envelope(k, { sessionId: 'big', payload: { big } }));
      await store.append(envelope(100 + k, { sessionId: 'small' }));
      expected.push(`big/evt-${k}`, `small/evt-${100 + k}`);
    }
    expect((await readAll(backend, 1000)).map(key)).toEqual(expected);
    expect((await readAll(backend, 5)).map(key)).toEqual(expected);
  });

  it('a purge rewriting one session and a delete between pages: nothing lost, twice or out of order', async () => {
    const { backend, store } = await openBackend({ pageBytes: 2000 });
    let i = 0;
    const written: Array<{ sessionId: string; id: string; gone: boolean }> = [];
    const put = async (sessionId: string, gone = false) => {
      const e = envelope(i++, { sessionId, ...(gone ? expired : {}) });
      await store.append(e);
      written.push({ sessionId, id: e.id, gone });
    };
    for (let round = 0; round < 40; round++) {
      await put('a');
      await put('p', round % 3 === 0); // A third of 'p' expired: the purge rewrites its file.
      await put('d');
      await put('b');
    }
    // Half read (the pages keep the sessions' files open), then the purge and the delete.
    const firstHalf = await readAll(backend, 9);
    const live = written.filter((w) => !w.gone);
    expect(firstHalf.map(key)).toEqual(live.map(key));
    const cut = firstHalf[70]!.position;
    const head = firstHalf.slice(0, 71);
    expect(await store.purgeExpired()).toMatchObject({ deletedEvents: 14 });
    await store.deleteSession('d');
    // More single appends, 'd' recreated: they come after everything before.
    const more: typeof written = [];
    for (let round = 0; round < 10; round++) {
      for (const s of ['p', 'd', 'a']) {
        const e = envelope(i++, { sessionId: s });
        await store.append(e);
        more.push({ sessionId: s, id: e.id, gone: false });
      }
    }
    const headKeys = new Set(head.map(key));
    const expectedRest = [
      ...live.filter((w) => w.sessionId !== 'd' && !headKeys.has(key(w))),
      ...more,
    ].map(key);
    for (const limit of [1, 4, 1000]) {
      const rest = await readAll(backend, limit, cut);
      expect(rest.map(key)).toEqual(expectedRest);
      expectRising([...head, ...rest]);
      const whole = await readAll(backend, limit);
      expect(whole.map(key)).toEqual([
        ...live.filter((w) => w.sessionId !== 'd').map(key),
        ...more.map(key),
      ]);
      expectRising(whole);
      // The kept records of 'p' are the session's own, with their seqs.
      const pSeqs = whole.filter((e) => e.sessionId === 'p').map((e) => e.seq);
      const stored = (await toArray(store.stream('p'))).map((r) => r.seq);
      expect(pSeqs).toEqual(stored);
    }
  });

  it.runIf(process.platform === 'linux')(
    'keeps no replaced or deleted session file open after a purge or a delete',
    async () => {
      const { root, backend, store } = await openBackend();
      for (let k = 0; k < 30; k++) {
        await store.append(envelope(k, { sessionId: 'p', ...(k % 2 ? expired : {}) }));
        await store.append(envelope(100 + k, { sessionId: 'd' }));
      }
      await readAll(backend, 1000); // The feed keeps both files open.
      const openFiles = () =>
        readdirSync('/proc/self/fd').flatMap((fd) => {
          try {
            return [readlinkSync(`/proc/self/fd/${fd}`)];
          } catch {
            return []; // Closed meanwhile (the listing's own descriptor).
          }
        });
      const pFile = sessionFiles(root, 'p').data;
      const dFile = sessionFiles(root, 'd').data;
      expect(openFiles()).toContain(dFile);
      await store.purgeExpired();
      await store.deleteSession('d');
      expect(openFiles()).not.toContain(`${pFile} (deleted)`);
      expect(openFiles().some((f) => f.startsWith(dFile))).toBe(false);
      await store.close();
      expect(backend.readHandles.size).toBe(0);
    },
  );
});
