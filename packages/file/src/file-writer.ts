import { writeSync } from 'node:fs';
import { constants, open } from 'node:fs/promises';
import type { AppendResult, PreparedEnvelope } from '@history/core';
import { recordLineHead } from './record-line.js';
import type { SessionCache } from './session-cache.js';
import { INDEX_INTERVAL, startsIndexBlock, writeIndexEntries } from './session-index.js';
import type { SessionState } from './session-state.js';

/** One session's share of a batch, encoded and ready to write. */
interface SessionWrite {
  state: SessionState;
  oldSize: number;
  buffer: Buffer;
  lastSeq: number;
  newIds: Array<[string, number]>;
  /** First index block started in this write, and the offsets of the blocks it starts. */
  firstBlock: number;
  blockOffsets: number[];
}

/**
 * Writes batches: per touched session one positioned `write` of all its new
 * lines, then (under `fsync` durability) one `fdatasync` per touched file.
 * A batch is all or nothing for the caller: if any write or sync fails, every
 * file written so far is truncated back and its cached state dropped, so the
 * next touch reloads it from disk and a retry stays exactly-once.
 */
export class FileWriter {
  constructor(
    private readonly cache: SessionCache,
    private readonly maxOpenFiles: number,
    private readonly durable: boolean,
  ) {}

  async writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]> {
    const createdAt = new Date().toISOString();
    const results = new Array<AppendResult>(records.length);
    const bySession = new Map<string, number[]>();
    records.forEach((r, i) => {
      const list = bySession.get(r.sessionId);
      if (list) list.push(i);
      else bySession.set(r.sessionId, [i]);
    });
    const sessionIds = [...bySession.keys()];
    const done: SessionWrite[] = [];
    const started: Array<{ sessionId: string; path: string; oldSize: number }> = [];
    try {
      // More sessions than open handles allowed: write them a window at a time.
      for (let w = 0; w < sessionIds.length; w += this.maxOpenFiles) {
        const window = sessionIds.slice(w, w + this.maxOpenFiles);
        const pinned = new Set(window);
        const writes: SessionWrite[] = [];
        for (const sessionId of window) {
          // The common case (an open session) skips an await per session.
          const state = this.cache.touch(sessionId) ?? (await this.cache.get(sessionId, pinned));
          writes.push(encode(state, bySession.get(sessionId)!, records, results, createdAt));
        }
        const pending = writes.filter((write) => write.buffer.length > 0);
        for (const write of pending) {
          started.push({
            sessionId: write.state.sessionId,
            path: write.state.files.data,
            oldSize: write.oldSize,
          });
        }
        let bytes = 0;
        for (const write of pending) bytes += write.buffer.length;
        if (bytes <= SYNC_WRITE_BYTES) {
          for (const write of pending) writeFullySync(write);
          if (this.durable) await settleAll(pending.map((write) => write.state.fd.datasync()));
        } else {
          await settleAll(
            pending.map(async (write) => {
              await writeFully(write);
              if (this.durable) await write.state.fd.datasync();
            }),
          );
        }
        for (const write of pending) {
          if (write.blockOffsets.length === 0) continue;
          await writeIndexEntries(write.state.files.index, write.firstBlock, write.blockOffsets);
        }
        done.push(...writes);
      }
    } catch (error) {
      await this.rollback(started);
      throw error;
    }
    // Committed: only now do readers and later batches see the new lines.
    for (const write of done) {
      write.state.size = write.oldSize + write.buffer.length;
      write.state.lastSeq = write.lastSeq;
      for (const [id, seq] of write.newIds) write.state.seqById.set(id, seq);
    }
    return results;
  }

  private async rollback(
    started: ReadonlyArray<{ sessionId: string; path: string; oldSize: number }>,
  ): Promise<void> {
    await Promise.all(
      started.map(async ({ sessionId, path, oldSize }) => {
        await this.cache.drop(sessionId);
        try {
          const fd = await open(path, constants.O_RDWR);
          try {
            await fd.truncate(oldSize);
            if (this.durable) await fd.datasync();
          } finally {
            await fd.close();
          }
        } catch {
          // Could not cut: the lines stay, and the reload on next touch counts them as stored,
          // so a retry reports them as duplicates instead of writing them twice.
        }
      }),
    );
  }
}

function encode(
  state: SessionState,
  indexes: readonly number[],
  records: readonly PreparedEnvelope[],
  results: AppendResult[],
  createdAt: string,
): SessionWrite {
  let seq = state.lastSeq;
  const fresh: Array<{ record: PreparedEnvelope; head: string }> = [];
  const newIds: Array<[string, number]> = [];
  // Upper bound of the UTF-8 size: at most 3 bytes per UTF-16 unit of a head; envelopes are exact.
  let capacity = 0;
  for (const i of indexes) {
    const r = records[i]!;
    const stored = state.seqById.get(r.id);
    if (stored !== undefined) {
      results[i] = { id: r.id, sessionId: r.sessionId, seq: stored, duplicate: true };
      continue;
    }
    seq++;
    const head = recordLineHead(seq, r.id, r.occurredAtMs, createdAt);
    fresh.push({ record: r, head });
    capacity += head.length * 3 + r.bytes + 2;
    newIds.push([r.id, seq]);
    results[i] = { id: r.id, sessionId: r.sessionId, seq, duplicate: false };
  }
  // Encoded straight into one buffer: no big intermediate string, offsets for the index for free.
  const buffer = Buffer.allocUnsafe(capacity);
  const blockOffsets: number[] = [];
  let firstBlock = -1;
  let at = 0;
  seq = state.lastSeq;
  for (const { record, head } of fresh) {
    seq++;
    if (startsIndexBlock(seq)) {
      if (firstBlock < 0) firstBlock = (seq - 1) / INDEX_INTERVAL;
      blockOffsets.push(state.size + at);
    }
    at += buffer.write(head, at, 'utf8');
    const bytes = buffer.write(record.json, at, 'utf8');
    if (bytes !== record.bytes) throw new Error(`envelope ${record.id}: byte length mismatch`);
    at += bytes;
    buffer[at++] = 0x7d; // }
    buffer[at++] = 0x0a; // newline
  }
  return {
    state,
    oldSize: state.size,
    buffer: buffer.subarray(0, at),
    lastSeq: seq,
    newIds,
    firstBlock,
    blockOffsets,
  };
}

/**
 * Below this many bytes per batch, writing to the page cache takes
 * microseconds, less than a round trip through libuv's thread pool: small
 * batches (many concurrent single appends) are written synchronously, large
 * ones off the event loop.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

/** One `write` call; loops only in the rare case of a short write. */
async function writeFully({ buffer, state, oldSize }: SessionWrite): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const length = buffer.length - written;
    written += (await state.fd.write(buffer, written, length, oldSize + written)).bytesWritten;
  }
}

function writeFullySync({ buffer, state, oldSize }: SessionWrite): void {
  let written = 0;
  while (written < buffer.length) {
    const length = buffer.length - written;
    written += writeSync(state.fd.fd, buffer, written, length, oldSize + written);
  }
}

/** Waits for every operation, then throws the first failure: a rollback must not race a write still in flight. */
async function settleAll(operations: Array<Promise<unknown>>): Promise<void> {
  for (const outcome of await Promise.allSettled(operations)) {
    if (outcome.status === 'rejected') throw outcome.reason;
  }
}
