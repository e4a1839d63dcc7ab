import { mkdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { type Child, runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newRoot(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

const envelope = (sessionId: string, id: string) => ({
  id,
  type: 'test',
  payload: { id, pad: 'x'.repeat(id.length * 7) },
  occurredAt: new Date().toISOString(),
  sessionId,
});

type Outcome = { sessionId: string; seq: number; id: string; duplicate: boolean };

/** The writer child: runs one command at a time, resolving with its outcome. */
async function startWriter(root: string, ...args: string[]) {
  const child = runFixture('write-on-command.mjs', [root, ...args]);
  cleanups.push(async () => {
    child.proc.stdin.end();
    await child.exited;
  });
  await child.waitFor((line) => line === 'ready');
  let sent = 0;
  return async (command: object): Promise<unknown> => {
    const n = ++sent;
    child.proc.stdin.write(`${JSON.stringify(command)}\n`);
    const line = await child.waitFor((l) => l.startsWith(`{"done":${n},`));
    return JSON.parse(line).outcome;
  };
}

/** The follower child: its records so far, as [seq, id] and [position, sessionId, seq, id]. */
async function startFollower(root: string, sessionId: string) {
  const child = runFixture('follow-read-only.mjs', [root, sessionId]);
  cleanups.push(async () => {
    child.proc.stdin.end();
    await child.exited;
  });
  await child.waitFor((line) => line === 'ready');
  return child;
}

function followerRecords(child: Child) {
  const parsed = child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return {
    stream: parsed.filter((p) => p.s).map((p) => p.s as [number, string]),
    feed: parsed.filter((p) => p.f).map((p) => p.f as [string, string, number, string]),
  };
}

/** A read-only follower in this process, collecting like the child does. */
async function localFollower(root: string, sessionId: string) {
  const store = await createFileHistoryStore({ root, readOnly: true, followPollMs: 60_000 });
  const stop = new AbortController();
  const stream: Array<[number, string]> = [];
  const feed: Array<[string, string, number, string]> = [];
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of wakers) w();
  };
  const follows = Promise.all([
    (async () => {
      for await (const r of store.stream(sessionId, { follow: true, signal: stop.signal })) {
        stream.push([r.seq, r.id]);
        wake();
      }
    })(),
    (async () => {
      for await (const { position, record: r } of store.feed({
        follow: true,
        signal: stop.signal,
      })) {
        feed.push([position, r.sessionId, r.seq, r.id]);
        wake();
      }
    })(),
  ]);
  cleanups.push(async () => {
    stop.abort();
    await follows;
    await store.close();
  });
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!done()) return;
        wakers.delete(check);
        resolve();
      };
      wakers.add(check);
      check();
    });
  return { store, stream, feed, until };
}

/** What the feed must hold for acknowledged batches: per batch, session by session, by seq. */
function expectedFeed(batches: Outcome[][]): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const batch of batches) {
    const written = batch.filter((o) => !o.duplicate);
    const sessions = [...new Set(written.map((o) => o.sessionId))];
    for (const s of sessions) {
      for (const o of written.filter((w) => w.sessionId === s).sort((x, y) => x.seq - y.seq)) {
        out.push([o.sessionId, o.seq, o.id]);
      }
    }
  }
  return out;
}

function checkFeed(
  feed: Array<[string, string, number, string]>,
  expected: Array<[string, number, string]>,
) {
  expect(feed.map(([, s, seq, id]) => [s, seq, id])).toEqual(expected);
  const positions = feed.map(([p]) => Number(p));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(new Set(positions).size).toBe(positions.length);
}

describe('read-only followers of a root another process writes', () => {
  it('see every acknowledged event exactly once, in order, woken by the watch', async () => {
    const root = await newRoot();
    const run = await startWriter(root);
    const batches: Outcome[][] = [];
    const write = async (command: object) => {
      const outcome = await run(command);
      if (Array.isArray(outcome)) batches.push(outcome as Outcome[]);
      else if ((outcome as { seq?: number }).seq !== undefined) batches.push([outcome as Outcome]);
      return outcome;
    };
    // Before the followers: caught up from the files.
    for (let i = 0; i < 6; i++) await write({ append: envelope(['a', 'b', 'c'][i % 3]!, `p${i}`) });
    const remote = await startFollower(root, 'a');
    const local = await localFollower(root, 'a');
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 9; i++) {
        await write({ append: envelope(['a', 'b', 'c'][i % 3]!, `r${round}-${i}`) });
      }
      const batch = Array.from({ length: 12 }, (_, i) =>
        envelope(['c', 'a', 'b'][i % 3]!, `m${round}-${i}`),
      );
      await write({ appendMany: batch });
      // A conditional append whose condition fails writes nothing.
      const conflict = await write({
        appendMany: [envelope('a', `no${round}`), envelope('a', `no${round}b`)],
        expectedSeq: 1,
      });
      expect(conflict).toEqual({ error: 'HISTORY_CONFLICT' });
    }
    await write({ append: envelope('a', 'last') });

    const expected = expectedFeed(batches);
    const inA = expected.filter(([s]) => s === 'a').map(([, seq, id]) => [seq, id]);
    await local.until(() => local.feed.some((f) => f[3] === 'last'));
    await local.until(() => local.stream.some((r) => r[1] === 'last'));
    await remote.waitFor((l) => l.includes('"f":') && l.includes('"last"'));
    await remote.waitFor((l) => l.includes('"s":') && l.includes('"last"'));
    remote.proc.stdin.end();
    await remote.waitFor((l) => l === 'closed');

    for (const { stream, feed } of [followerRecords(remote), local]) {
      expect(stream).toEqual(inA);
      checkFeed(feed, expected);
    }
  }, 120_000);

  it('never yield the lines of a batch the writer rolled back', async () => {
    const root = await newRoot();
    // One open file at a time: a batch over two sessions writes the first, then fails to open
    // the second (a directory in its file's place), and cuts the first's lines again.
    const run = await startWriter(root, '1');
    await run({ append: envelope('a', 'first') });
    await mkdir(sessionFiles(root, 'broken').data);
    const remote = await startFollower(root, 'a');
    const local = await localFollower(root, 'a');
    const kept: string[] = ['first'];
    for (let i = 0; i < 20; i++) {
      const failed = await run({
        appendMany: [
          envelope('a', `gone${i}`),
          envelope('a', `gone${i}b`),
          envelope('broken', `x${i}`),
        ],
      });
      expect(failed).toMatchObject({ error: 'HISTORY_STORAGE' });
      await run({ append: envelope('a', `kept${i}`) });
      kept.push(`kept${i}`);
    }
    await local.until(() => local.stream.length >= kept.length && local.feed.length >= kept.length);
    await remote.waitFor((l) => l.includes('"f":') && l.includes('"kept19"'));
    await remote.waitFor((l) => l.includes('"s":') && l.includes('"kept19"'));
    remote.proc.stdin.end();
    await remote.waitFor((l) => l === 'closed');
    const expectedStream = kept.map((id, k) => [k + 1, id]);
    for (const { stream, feed } of [followerRecords(remote), local]) {
      expect(stream).toEqual(expectedStream);
      expect(feed.map(([, , seq, id]) => [seq, id])).toEqual(expectedStream);
    }
  }, 120_000);

  it('follow through a purge and a delete by the writer', async () => {
    const root = await newRoot();
    // Purges keep each session's newest 3 events.
    const run = await startWriter(root, '8192', '3');
    for (let i = 1; i <= 6; i++) await run({ append: envelope('p', `p${i}`) });
    for (let i = 1; i <= 2; i++) await run({ append: envelope('d', `d${i}`) });
    const local = await localFollower(root, 'p');
    await local.until(() => local.feed.length === 8 && local.stream.length === 6);

    expect(await run({ purge: true })).toMatchObject({ deletedEvents: 3 });
    expect(await run({ delete: 'd' })).toEqual({ deletedEvents: 2 });
    await run({ append: envelope('p', 'p7') });
    await run({ append: envelope('d', 'd-again') });
    await run({ append: envelope('a', 'a1') });
    await local.until(() => local.feed.some((f) => f[3] === 'a1'));
    await local.until(() => local.stream.some((r) => r[1] === 'p7'));
    expect(local.stream.map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(local.feed.map(([, s, seq]) => `${s}${seq}`)).toEqual([
      'p1',
      'p2',
      'p3',
      'p4',
      'p5',
      'p6',
      'd1',
      'd2',
      'p7',
      'd3',
      'a1',
    ]);

    // A new reader sees what is left: no purged or deleted event.
    const fresh = await createFileHistoryStore({ root, readOnly: true });
    cleanups.push(() => fresh.close());
    const seqs = [];
    for await (const r of fresh.stream('p')) seqs.push(r.seq);
    expect(seqs).toEqual([4, 5, 6, 7]);
    const ids = [];
    for await (const { record } of fresh.feed()) ids.push(record.id);
    expect(ids).toEqual(['p4', 'p5', 'p6', 'p7', 'd-again', 'a1']);
    expect(await fresh.getSession('d')).toMatchObject({ lastSeq: 3, eventCount: 1 });
    const listed = [];
    for await (const s of fresh.listSessions()) listed.push([s.sessionId, s.eventCount]);
    expect(listed).toEqual([
      ['a', 1],
      ['d', 1],
      ['p', 4],
    ]);
  }, 120_000);
});
