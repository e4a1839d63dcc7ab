import { appendFile, cp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envelope, envelopes } from '@history/contract-tests';
import {
  type IntegrityReport,
  InvalidArgumentError,
  SchemaVersionError,
  StorageError,
} from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { feedPath } from '../src/feed-file.js';
import { createFileHistoryStore, verifyFileStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function newRoot(): Promise<string> {
  const root = await tempRoot('history-verify-');
  cleanups.push(root.remove);
  return root.path;
}

/** Expired since 2020: occurred then, lived a second. */
const EXPIRED = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };

/**
 * A store that went through everything a healthy store does: sessions of one and several
 * index blocks, single appends and bulk ones, a deleted session and a recreated one,
 * checkpoints, expired events purged (a compacted file, with appends after it), an event
 * with a ttl still live. 1,151 events stored over 6 sessions.
 */
async function healthyStore(root: string): Promise<void> {
  const store = await createFileHistoryStore({ root });
  await store.appendMany(envelopes(600, { sessionId: 'long' }));
  for (let i = 1; i <= 5; i++) await store.append(envelope(i, { sessionId: 'single' }));
  await store.appendMany(envelopes(5, { sessionId: 'gone' }));
  await store.checkpoint('gone', { at: 5 }, { seq: 5 });
  await store.deleteSession('gone');
  await store.appendMany(envelopes(3, { sessionId: 'again' }));
  await store.deleteSession('again');
  await store.appendMany(envelopes(4, { sessionId: 'again' }, 10));
  await store.appendMany([
    ...envelopes(300, { sessionId: 'purged', ...EXPIRED }),
    ...envelopes(200, { sessionId: 'purged' }, 301),
  ]);
  expect(await store.purgeExpired()).toMatchObject({ deletedEvents: 300, done: true });
  await store.appendMany(envelopes(30, { sessionId: 'purged' }, 501));
  await store.append(envelope(1, { sessionId: 'ttl', ttlMs: 10 * 365 * 86_400_000 }));
  await store.checkpoint('long', { position: 'x' }, { seq: 600 });
  await store.checkpoint('no-events', { only: 'a checkpoint' });
  await store.close();
}

/** Sizes and modification times of every file under `root`. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const s = await stat(path);
    out[path] = entry.isDirectory() ? 'dir' : `${s.size}:${s.mtimeMs}`;
  }
  return out;
}

/** The session file's lines, each with its newline. */
async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split(/(?<=\n)/);
}

/** The byte offset of line `index` (from 0). */
function offsetOf(all: string[], index: number): number {
  return Buffer.byteLength(all.slice(0, index).join(''), 'utf8');
}

/** The problems by session, then location (sessions are walked in directory order). */
const sorted = (report: IntegrityReport) =>
  [...report.problems].sort(
    (a, b) =>
      (a.sessionId ?? '').localeCompare(b.sessionId ?? '') || a.location.localeCompare(b.location),
  );

describe('verifyFileStore', () => {
  it('reports nothing on a healthy store: deletes, recreation, purges, compaction, checkpoints', async () => {
    const root = await newRoot();
    await healthyStore(root);
    const report = await verifyFileStore({ root });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ sessions: 5, events: 600 + 5 + 4 + 230 + 1 });
  });

  it('modifies nothing: every file keeps its size and modification time, none is added', async () => {
    const root = await newRoot();
    await healthyStore(root);
    // A torn line too: verify reports it and leaves it, where an open would cut it.
    const { data } = sessionFiles(root, 'single');
    await appendFile(data, '{"seq":6,"id":"evt-6"');
    const before = await snapshot(root);
    const report = await verifyFileStore({ root });
    expect(report.problems.map((p) => p.kind)).toEqual(['torn-line']);
    expect(await snapshot(root)).toEqual(before);
  });

  it('verifies a root while its writer has it open, taking no lock (the writer goes on)', async () => {
    const root = await newRoot();
    await healthyStore(root);
    const store = await createFileHistoryStore({ root });
    try {
      await store.appendMany(envelopes(300, { sessionId: 'open' }));
      await store.append(envelope(1, { sessionId: 'single', id: 'late' }));
      const report = await verifyFileStore({ root });
      expect(report.problems).toEqual([]);
      expect(report.events).toBe(840 + 301);
      // The writer still holds its lock and writes.
      expect((await store.append(envelope(2, { sessionId: 'open', id: 'after' }))).seq).toBe(301);
    } finally {
      await store.close();
    }
    expect((await verifyFileStore({ root })).problems).toEqual([]);
  });

  it('leaves what a writer holding the lock may be writing to it, and reports it once it closed', async () => {
    const root = await newRoot();
    await healthyStore(root);
    const { data } = sessionFiles(root, 'single');
    const lastLine = (await lines(data)).at(-1)!;
    const store = await createFileHistoryStore({ root });
    try {
      // As a batch in progress leaves it: a complete line not in the feed index yet, and the
      // start of the next one.
      await appendFile(
        data,
        `${lastLine.replace('{"seq":5,', '{"seq":6,').replaceAll('"evt-5"', '"evt-6"')}{"seq":7`,
      );
      expect((await verifyFileStore({ root })).problems).toEqual([]);
    } finally {
      await store.close();
    }
    const size = (await stat(data)).size;
    expect(sorted(await verifyFileStore({ root })).map((p) => [p.kind, p.seq, p.location])).toEqual(
      [
        ['index-mismatch', 6, `${data} byte ${size - 8 - Buffer.byteLength(lastLine)}`],
        ['torn-line', undefined, `${data} byte ${size - 8}`],
      ],
    );
  });

  it('reports nothing on roots upgraded from layouts 1 and 2 (lines without expiry, a built feed index)', async () => {
    for (const fixture of ['v1-root', 'v2-root']) {
      const root = await newRoot();
      await cp(fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), root, {
        recursive: true,
      });
      await (await createFileHistoryStore({ root })).close();
      const report = await verifyFileStore({ root });
      expect(report.problems).toEqual([]);
      expect(report.events).toBeGreaterThan(600);
    }
  });

  it('detects a torn line, a missing index entry and a seq gap planted in the files', async () => {
    const root = await newRoot();
    await healthyStore(root);
    // Torn: the start of a record without its end, as a crash mid-write leaves it.
    const single = sessionFiles(root, 'single');
    const singleSize = (await stat(single.data)).size;
    await appendFile(single.data, '{"seq":6,"id":"evt-6","at":1');
    // Missing index entry: `long` has 600 lines, so entries 1 (line 256) and 2 (line 512).
    const long = sessionFiles(root, 'long');
    expect((await stat(long.index)).size).toBe(24);
    await truncate(long.index, 16);
    // Seq gap: line 3 (seq 3) of `again` (seqs 4..7 after a delete at 3) goes.
    const again = sessionFiles(root, 'again');
    const againLines = await lines(again.data);
    expect(againLines.map((l) => JSON.parse(l).seq)).toEqual([4, 5, 6, 7]);
    await writeFile(again.data, [...againLines.slice(0, 1), ...againLines.slice(2)].join(''));

    const report = await verifyFileStore({ root });
    expect(sorted(report)).toEqual([
      {
        kind: 'seq-gap',
        sessionId: 'again',
        seq: 5,
        location: `${again.data} byte ${offsetOf(againLines, 1)}`,
        message: 'seq 5 is missing',
      },
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        location: `${long.index} entry 2`,
        message: expect.stringContaining('entry 2 (line 512'),
      },
      {
        kind: 'torn-line',
        sessionId: 'single',
        location: `${single.data} byte ${singleSize}`,
        message: expect.stringContaining('incomplete line'),
      },
    ]);
  });
});

describe('verifyFileStore: what and where', () => {
  /** A healthy store, and the paths and lines tests damage. */
  async function damaged() {
    const root = await newRoot();
    await healthyStore(root);
    const single = sessionFiles(root, 'single');
    const singleLines = await lines(single.data);
    return { root, single, singleLines, feed: feedPath(root) };
  }

  /** The feed index's lines, parsed (runs as arrays, marks as objects). */
  async function feedLines(path: string): Promise<unknown[]> {
    return (await lines(path)).map((l) => JSON.parse(l));
  }
  const writeFeed = (path: string, values: unknown[]) =>
    writeFile(path, values.map((v) => `${JSON.stringify(v)}\n`).join(''));
  /** Index in the feed index of the run of `sessionId` starting at `seq`. */
  const runAt = (values: unknown[], sessionId: string, seq: number) =>
    values.findIndex((v) => Array.isArray(v) && v[5] === sessionId && v[1] === seq);

  it('an envelope that does not parse, one that is not valid, a line that is not a record', async () => {
    const { root, single, singleLines } = await damaged();
    const edited = [...singleLines];
    // Same lengths, so every offset the indexes hold stays right.
    edited[0] = edited[0]!.replace('"payload":{', '"payload":[');
    edited[2] = edited[2]!.replace(/"occurredAt":"(\d{4})-01/, '"occurredAt":"$1-13');
    edited[3] = edited[3]!.replace('{"seq":', '{"seX":');
    await writeFile(single.data, edited.join(''));
    const at = (i: number) => `${single.data} byte ${offsetOf(singleLines, i)}`;
    const report = await verifyFileStore({ root });
    expect(report.problems).toEqual([
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 1,
        location: at(0),
        message: expect.stringMatching(/^the envelope does not parse as JSON/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 3,
        location: at(2),
        message: expect.stringMatching(/^Invalid envelope: occurredAt: expected an ISO-8601/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        location: at(3),
        message: 'the line is not a record: it does not parse',
      },
      {
        kind: 'seq-gap',
        sessionId: 'single',
        seq: 4,
        location: at(4),
        message: 'seq 4 is missing',
      },
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 4,
        location: expect.stringMatching(/feed\.idx byte \d+$/),
        message: expect.stringContaining(`points at byte ${offsetOf(singleLines, 3)}`),
      },
    ]);
  });

  it('a seq stored twice, an id stored twice, seqs out of order', async () => {
    const { root, single, singleLines } = await damaged();
    // seq 5 again, then a new seq holding evt-2's id.
    const again = singleLines[1]!.replace('{"seq":2,', '{"seq":6,');
    await writeFile(single.data, [...singleLines, singleLines[4]!, again].join(''));
    const long = sessionFiles(root, 'long');
    const longLines = await lines(long.data);
    // Lines 10 and 11 swapped: the run and index entries (offsets of lines 0, 256, 512) hold.
    await writeFile(
      long.data,
      [...longLines.slice(0, 9), longLines[10], longLines[9], ...longLines.slice(11)].join(''),
    );
    const report = await verifyFileStore({ root });
    const singleAt = offsetOf(singleLines, 5);
    expect(sorted(report)).toEqual([
      {
        kind: 'seq-gap',
        sessionId: 'long',
        seq: 10,
        location: `${long.data} byte ${offsetOf(longLines, 9)}`,
        message: 'seq 10 is missing',
      },
      {
        kind: 'seq-order',
        sessionId: 'long',
        seq: 10,
        location: `${long.data} byte ${offsetOf(longLines, 9) + Buffer.byteLength(longLines[10]!)}`,
        message: 'seq 10 comes after seq 11',
      },
      {
        kind: 'duplicate',
        sessionId: 'single',
        seq: 5,
        location: `${single.data} byte ${singleAt}`,
        message: 'seq 5 is stored twice',
      },
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 6,
        location: `${single.data} byte ${singleAt + Buffer.byteLength(singleLines[4]!)}`,
        message: expect.stringMatching(/^seq 6 is missing from the feed index/),
      },
      {
        kind: 'duplicate',
        sessionId: 'single',
        seq: 6,
        location: `${single.data} byte ${singleAt + Buffer.byteLength(singleLines[4]!)}`,
        message: 'event id "evt-2" is stored again (first at seq 2)',
      },
    ]);
  });

  it('the feed index: a run missing, a run past the data, a run pointing at the wrong line', async () => {
    const { root, single, singleLines, feed } = await damaged();
    const values = await feedLines(feed);
    const next = (values.at(-1) as { next: number }).next;
    // single's seq 3 loses its run; seq 2's run points at seq 1's line; runs for 6..7 added.
    const wrong = runAt(values, 'single', 2);
    (values[wrong] as number[])[3] = 0;
    values.splice(runAt(values, 'single', 3), 1);
    values.push([next, 6, 2, 0, 10, 'single'], { next: next + 2 });
    await writeFeed(feed, values);
    const feedText = await lines(feed);
    const lineOf = (sessionId: string, seq: number) =>
      `${feed} byte ${offsetOf(feedText, runAt(values, sessionId, seq))}`;
    const report = await verifyFileStore({ root });
    expect(report.problems).toEqual([
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 3,
        location: `${single.data} byte ${offsetOf(singleLines, 2)}`,
        message: `seq 3 is missing from the feed index (${feed})`,
      },
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 6,
        location: lineOf('single', 6),
        message: "the feed index has runs up to seq 7, past the session's last seq 5",
      },
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 2,
        location: lineOf('single', 2),
        message: `the run of seqs 2..2 points at byte 0 of ${single.data}, where no line of seq 2 starts`,
      },
    ]);
  });

  it('a missing feed index, a torn feed index line', async () => {
    const { root, feed } = await damaged();
    const size = (await stat(feed)).size;
    await appendFile(feed, '[999,1,1,0,1');
    expect((await verifyFileStore({ root })).problems).toEqual([
      {
        kind: 'torn-line',
        location: `${feed} byte ${size}`,
        message: expect.stringContaining('12 bytes of an incomplete line'),
      },
    ]);
    await rm(feed);
    const report = await verifyFileStore({ root });
    expect(report.problems).toEqual([
      { kind: 'index-mismatch', location: feed, message: expect.stringContaining('is missing') },
    ]);
  });

  it('the session index: an entry pointing elsewhere, an entry past the last block', async () => {
    const { root } = await damaged();
    const long = sessionFiles(root, 'long');
    const raw = await readFile(long.index);
    const line256 = Number(raw.readBigUInt64LE(8));
    raw.writeBigUInt64LE(BigInt(line256 + 1), 8);
    const extra = Buffer.alloc(8);
    extra.writeBigUInt64LE(99n);
    await writeFile(long.index, Buffer.concat([raw, extra]));
    expect((await verifyFileStore({ root })).problems).toEqual([
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        location: `${long.index} entry 1`,
        message: `entry 1 points at byte ${line256 + 1}, but line 256 starts at byte ${line256}`,
      },
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        location: `${long.index} entry 3`,
        message: 'entry 3 points at byte 99, but the file has no line 768',
      },
    ]);
  });

  it('summaries: a purged file missing a record its meta line counts, a gap after a delete, a tombstone past the data, a broken checkpoint', async () => {
    const { root } = await damaged();
    const purged = sessionFiles(root, 'purged');
    const purgedLines = await lines(purged.data);
    expect(JSON.parse(purgedLines[0]!)).toMatchObject({ meta: 2, lastSeq: 500, count: 200 });
    // seq 301 (line 1) goes: the meta line accounts for 300 purged seqs, not 301.
    await writeFile(purged.data, [purgedLines[0], ...purgedLines.slice(2)].join(''));
    // again: deleted at seq 3, recreated at 4: its first line (seq 4) goes.
    const again = sessionFiles(root, 'again');
    const againLines = await lines(again.data);
    await writeFile(again.data, againLines.slice(1).join(''));
    const gone = sessionFiles(root, 'gone');
    await writeFile(gone.tombstone, '{"lastSeq":"five"}\n');
    const single = sessionFiles(root, 'single');
    await writeFile(single.tombstone, '{"lastSeq":50}\n');
    const long = sessionFiles(root, 'long');
    await writeFile(long.checkpoint, '{"sessionId":"long","createdAt":"x","payload":{oops}}\n');
    const report = await verifyFileStore({ root });
    expect(sorted(report)).toEqual([
      {
        kind: 'index-mismatch',
        sessionId: 'again',
        seq: 4,
        location: expect.stringContaining('feed.idx byte'),
        message: `the run of seqs 4..7 points at byte 0 of ${again.data}, where no line of seq 4 starts`,
      },
      {
        kind: 'seq-gap',
        sessionId: 'again',
        seq: 4,
        location: `${again.data} byte 0`,
        message: 'seq 4 is missing before the first line (seq 5)',
      },
      {
        kind: 'metadata-mismatch',
        sessionId: 'gone',
        location: gone.tombstone,
        message: expect.stringMatching(/^the tombstone does not hold a valid last seq/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'long',
        location: long.checkpoint,
        message: expect.stringMatching(/^the checkpoint does not parse/),
      },
      {
        kind: 'seq-gap',
        sessionId: 'purged',
        location: `${purged.data} byte 0`,
        message:
          'the meta line counts 200 records at or below seq 500, the file holds 199: 1 missing',
      },
      {
        kind: 'metadata-mismatch',
        sessionId: 'single',
        location: single.tombstone,
        message: "the tombstone's last seq 50 is past the session's, 5: seqs went back",
      },
    ]);
  });
});

describe('verifyFileStore: options and errors', () => {
  it('refuses bad options naming the field', async () => {
    const root = await newRoot();
    const field = async (options: unknown) => {
      const error = await verifyFileStore(options as { root: string }).catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      return (error as InvalidArgumentError).field;
    };
    expect(await field(undefined)).toBe('options');
    expect(await field({})).toBe('options.root');
    expect(await field({ root: 'a\0b' })).toBe('options.root');
    expect(await field({ root, maxProblems: 0 })).toBe('options.maxProblems');
    expect(await field({ root, onProgress: 1 })).toBe('options.onProgress');
    expect(await field({ root, signal: {} })).toBe('options.signal');
    expect(await field({ root, durability: 'os' })).toBe('options.durability');
  });

  it('rejects a root that is not a store with StorageError, a newer layout with SchemaVersionError', async () => {
    const root = await newRoot();
    for (const missing of [join(root, 'nothing-here'), root]) {
      const error = await verifyFileStore({ root: missing }).catch((e: unknown) => e);
      expect(StorageError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('is not a history store');
    }
    await writeFile(join(root, 'history-file.json'), '{"format":"@history/file","version":99}');
    const error = await verifyFileStore({ root }).catch((e: unknown) => e);
    expect(SchemaVersionError.isInstance(error)).toBe(true);
  });

  it('reports progress every 10,000 events, stops collecting at maxProblems, aborts with the reason', async () => {
    const root = await newRoot();
    const store = await createFileHistoryStore({ root });
    await store.appendMany(envelopes(25_000, { sessionId: 'big' }));
    for (let i = 0; i < 5; i++) await store.append(envelope(1, { sessionId: `s${i}` }));
    await store.close();
    const progress: number[] = [];
    const report = await verifyFileStore({ root, onProgress: (n) => progress.push(n) });
    expect(report).toEqual({ sessions: 6, events: 25_005, problems: [] });
    expect(progress).toEqual([10_000, 20_000, 25_005]);

    for (let i = 0; i < 5; i++) await appendFile(sessionFiles(root, `s${i}`).data, '{"seq"');
    const capped = await verifyFileStore({ root, maxProblems: 2 });
    expect(capped.problems.map((p) => p.kind)).toEqual(['torn-line', 'torn-line']);
    expect(capped.events).toBe(25_005);

    const reason = new Error('stop');
    const controller = new AbortController();
    const stopped = verifyFileStore({
      root,
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await expect(stopped).rejects.toBe(reason);
    await expect(verifyFileStore({ root, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
