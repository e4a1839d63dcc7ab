import { closeSync, constants, fdatasync, ftruncateSync, openSync, write } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { BatchCondition, PreparedEnvelope, WriteOutcome } from '@history/core/backend';
import type { FeedIndex, NewRun } from './feed-index.js';
import { ensureDir } from './fs-sync.js';
import { recordLineHead } from './record-line.js';
import { SessionFileError } from './session-file-error.js';
import { type SessionFiles, sessionFiles } from './session-files.js';
import type { SessionHandles } from './session-handles.js';
import { INDEX_INTERVAL, startsIndexBlock, writeIndexEntries } from './session-index.js';
import { loadSessionState, type SessionState } from './session-state.js';
import type { SessionStates } from './session-states.js';
import { writeAllSync } from './write-all-sync.js';

const datasync = promisify(fdatasync);

/** One session's share of a batch, encoded and ready to write. */
interface SessionWrite {
  state: SessionState;
  fd: number;
  oldSize: number;
  buffer: Buffer;
  lastSeq: number;
  /** Ids stored by this write, in order: their seqs follow the state's `lastSeq`. */
  newIds: string[];
  /** Whether the session had no line before this write (it comes into existence). */
  created: boolean;
  /** First index block started in this write, and the offsets of the blocks it starts. */
  firstBlock: number;
  blockOffsets: number[];
}

/**
 * A session's share of a batch up to this size is written synchronously: a
 * copy into the page cache of microseconds, less than a round trip through
 * libuv's thread pool (many concurrent single appends, or a bulk batch spread
 * over thousands of sessions, make many such writes). Larger shares go
 * through the thread pool, in parallel.
 */
const SYNC_WRITE_BYTES = 256 * 1024;
/**
 * Synchronous writes yield to the event loop after this many bytes or writes
 * (a bulk batch over thousands of sessions is a syscall per session), keeping
 * its delay bounded.
 */
const SYNC_SLICE_BYTES = 1024 * 1024;
const SYNC_SLICE_WRITES = 128;
/** Most batches have no conditional appends: no map to build for them. */
const NO_CONDITIONS: ReadonlyMap<number, BatchCondition> = new Map();
/** Directories known to exist are remembered (one per long-id session at most) up to this many. */
const MAX_KNOWN_DIRS = 10_000;

/**
 * Writes batches: per touched session one positioned `write` of all its new
 * lines, then (under `fsync` durability) one `fdatasync` per touched file.
 * A batch is all or nothing for the caller: if any write or sync fails, every
 * file written so far is truncated back and its cached state dropped, so the
 * next touch reloads it from disk and a retry stays exactly-once.
 */
export class FileWriter {
  private readonly knownDirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly states: SessionStates,
    private readonly handles: SessionHandles,
    private readonly durable: boolean,
    /** The root's feed index: a batch's runs are appended after its session lines. */
    private readonly feed: FeedIndex,
    /** Called on a session's first touch (before its file is opened), e.g. to remove a crash's leftovers. */
    private readonly onLoad: (sessionId: string, files: SessionFiles) => void = () => {},
    /** Called once a batch gave a session without lines its first line (listings learn of it). */
    private readonly onCreated: (sessionId: string) => void = () => {},
  ) {}

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions: readonly BatchCondition[] = [],
  ): Promise<WriteOutcome[]> {
    const createdAt = new Date().toISOString();
    const results = new Array<WriteOutcome>(records.length);
    const conditionAt =
      conditions.length === 0
        ? NO_CONDITIONS
        : new Map(conditions.map((condition) => [condition.start, condition]));
    const bySession = new Map<string, number[]>();
    for (let i = 0; i < records.length; i++) {
      const sessionId = records[i]!.sessionId;
      const list = bySession.get(sessionId);
      if (list) list.push(i);
      else bySession.set(sessionId, [i]);
    }
    const sessionIds = [...bySession.keys()];
    const done: SessionWrite[] = [];
    const started: SessionWrite[] = [];
    try {
      // More sessions than open handles allowed (or than the process can open): a window at a time.
      for (let next = 0; next < sessionIds.length; ) {
        const pinned = new Set<string>();
        const writes: SessionWrite[] = [];
        while (next < sessionIds.length && writes.length < this.handles.limit) {
          const sessionId = sessionIds[next]!;
          pinned.add(sessionId);
          let state: SessionState;
          let fd: number;
          try {
            // The common case (a known session with its handle open) skips every await.
            state = this.states.get(sessionId) ?? (await this.load(sessionId, pinned));
            fd =
              this.handles.get(sessionId) ??
              this.handles.open(sessionId, state.files.data, constants.O_RDWR, pinned);
          } catch (error) {
            // Anything but running out of descriptors is this one session's damage.
            if (!isOutOfDescriptors(error)) throw new SessionFileError(sessionId, error);
            // Out of descriptors with this window's handles pinned: write it, then go on.
            if (writes.length === 0) throw error;
            pinned.delete(sessionId);
            break;
          }
          const indexes = bySession.get(sessionId)!;
          writes.push(encode(state, fd, indexes, records, results, createdAt, conditionAt));
          next++;
        }
        const pending = writes.filter((write) => write.buffer.length > 0);
        started.push(...pending);
        await writeAll(pending);
        const syncs = pending.map((write) => write.fd);
        // After every session line of the batch (a crash before it leaves lines the feed
        // misses, which open reconciles), synced beside the last window's files.
        if (next >= sessionIds.length) this.feed.write(feedRuns([...done, ...writes]));
        if (this.durable) {
          const feedSync = next >= sessionIds.length ? [this.feed.sync()] : [];
          await settleAll([...syncs.map((fd) => datasync(fd)), ...feedSync]);
        }
        for (const write of pending) {
          writeIndexEntries(write.state.files.index, write.firstBlock, write.blockOffsets);
        }
        done.push(...writes);
      }
    } catch (error) {
      this.feed.rollback();
      await this.rollback(started);
      throw error;
    }
    // Committed: only now do readers and later batches see the new lines.
    this.feed.commit();
    for (const write of done) commit(write, createdAt);
    for (const write of done) this.states.grew(write.newIds.length);
    for (const write of done) if (write.created) this.onCreated(write.state.sessionId);
    this.states.trim(bySession);
    return results;
  }

  /**
   * First touch of a session (or after its state was dropped): its directory
   * (once per store), its file (created if missing, off the event loop: a
   * create may wait on the file system's journal), then the scan (nothing to
   * scan when empty).
   */
  private async load(sessionId: string, pinned: ReadonlySet<string>): Promise<SessionState> {
    const files = sessionFiles(this.root, sessionId);
    if (!this.knownDirs.has(files.dir)) {
      await ensureDir(files.dir, this.durable);
      if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
      this.knownDirs.add(files.dir);
    }
    this.onLoad(sessionId, files);
    const flags = constants.O_RDWR | constants.O_CREAT;
    const fd = await this.handles.create(sessionId, files.data, flags, pinned);
    try {
      const state = await loadSessionState(sessionId, files, fd, this.durable);
      this.states.add(state);
      return state;
    } catch (error) {
      this.handles.close(sessionId);
      throw error;
    }
  }

  private async rollback(started: readonly SessionWrite[]): Promise<void> {
    await Promise.all(
      started.map(async ({ state, oldSize }) => {
        this.states.drop(state.sessionId);
        this.handles.close(state.sessionId);
        try {
          const fd = openSync(state.files.data, constants.O_RDWR);
          try {
            ftruncateSync(fd, oldSize);
            if (this.durable) await datasync(fd);
          } finally {
            closeSync(fd);
          }
        } catch {
          // Could not cut: the lines stay, and the reload on next touch counts them as stored,
          // so a retry reports them as duplicates instead of writing them twice.
        }
      }),
    );
  }
}

/** The feed's runs of a batch: one per session that got new lines, in the batch's order. */
function feedRuns(writes: readonly SessionWrite[]): NewRun[] {
  const runs: NewRun[] = [];
  for (const { state, newIds, oldSize, buffer } of writes) {
    if (newIds.length === 0) continue;
    runs.push({
      sessionId: state.sessionId,
      firstSeq: state.lastSeq + 1,
      count: newIds.length,
      offset: oldSize,
      bytes: buffer.length,
    });
  }
  return runs;
}

/** Applies a written share to its session's state. */
function commit(write: SessionWrite, createdAt: string): void {
  const { state, oldSize, buffer, lastSeq, newIds } = write;
  let seq = state.lastSeq;
  for (const id of newIds) state.seqById.set(id, ++seq);
  state.size = oldSize + buffer.length;
  state.lastSeq = lastSeq;
  if (newIds.length === 0) return;
  state.lines += newIds.length;
  const summary = state.summary;
  if (!summary) {
    state.summary = { lastSeq, eventCount: newIds.length, createdAt, updatedAt: createdAt };
    return;
  }
  // In place: readers get copies (see FileBackend.summaryOf).
  summary.lastSeq = lastSeq;
  summary.eventCount += newIds.length;
  summary.updatedAt = createdAt;
}

/**
 * Whether a condition's records are written: all already stored makes them
 * ordinary duplicates; otherwise the session's last seq at this point of the
 * batch (0 while it has no line) must be the expected one.
 */
function conditionHolds(
  condition: BatchCondition,
  records: readonly PreparedEnvelope[],
  state: SessionState,
  seq: number,
): { holds: true } | { holds: false; actualSeq: number } {
  const end = condition.start + condition.count;
  let allStored = true;
  for (let i = condition.start; i < end && allStored; i++) {
    allStored = state.seqById.has(records[i]!.id);
  }
  if (allStored) return { holds: true };
  const exists = state.lines > 0 || seq > state.lastSeq;
  const actualSeq = exists ? seq : 0;
  return actualSeq === condition.expectedSeq ? { holds: true } : { holds: false, actualSeq };
}

function encode(
  state: SessionState,
  fd: number,
  indexes: readonly number[],
  records: readonly PreparedEnvelope[],
  results: WriteOutcome[],
  createdAt: string,
  conditionAt: ReadonlyMap<number, BatchCondition>,
): SessionWrite {
  let seq = state.lastSeq;
  const fresh: PreparedEnvelope[] = [];
  const heads: string[] = [];
  const newIds: string[] = [];
  // Upper bound of the UTF-8 size: at most 3 bytes per UTF-16 unit of a head; envelopes are exact.
  let capacity = 0;
  /** Records before this index belong to a failed condition: they get a conflict. */
  let conflictEnd = -1;
  let actualSeq = 0;
  for (const i of indexes) {
    const r = records[i]!;
    const condition = conditionAt.get(i);
    if (condition) {
      const check = conditionHolds(condition, records, state, seq);
      if (!check.holds) {
        conflictEnd = condition.start + condition.count;
        actualSeq = check.actualSeq;
      }
    }
    if (i < conflictEnd) {
      results[i] = { conflict: true, id: r.id, sessionId: r.sessionId, actualSeq };
      continue;
    }
    const stored = state.seqById.get(r.id);
    if (stored !== undefined) {
      results[i] = { id: r.id, sessionId: r.sessionId, seq: stored, duplicate: true };
      continue;
    }
    seq++;
    const head = recordLineHead(seq, r.id, r.occurredAtMs, createdAt, r.expiresAtMs);
    fresh.push(r);
    heads.push(head);
    capacity += head.length * 3 + r.bytes + 2;
    newIds.push(r.id);
    results[i] = { id: r.id, sessionId: r.sessionId, seq, duplicate: false };
  }
  // Encoded straight into one buffer: no big intermediate string, offsets for the index for free.
  const buffer = Buffer.allocUnsafe(capacity);
  const blockOffsets: number[] = [];
  let firstBlock = -1;
  let at = 0;
  for (let k = 0; k < fresh.length; k++) {
    const record = fresh[k]!;
    const line = state.lines + k;
    if (startsIndexBlock(line)) {
      if (firstBlock < 0) firstBlock = line / INDEX_INTERVAL;
      blockOffsets.push(state.size + at);
    }
    at += buffer.write(heads[k]!, at, 'utf8');
    const bytes = buffer.write(record.json, at, 'utf8');
    if (bytes !== record.bytes) throw new Error(`envelope ${record.id}: byte length mismatch`);
    at += bytes;
    buffer[at++] = 0x7d; // }
    buffer[at++] = 0x0a; // newline
  }
  return {
    state,
    fd,
    oldSize: state.size,
    buffer: buffer.subarray(0, at),
    lastSeq: seq,
    newIds,
    created: state.lines === 0 && newIds.length > 0,
    firstBlock,
    blockOffsets,
  };
}

/**
 * Writes every share: large ones through the thread pool, in parallel, while
 * small ones are written synchronously in slices. Waits for all before
 * reporting the first failure: a rollback must not race a write in flight.
 */
async function writeAll(writes: readonly SessionWrite[]): Promise<void> {
  const inFlight = writes
    .filter((write) => write.buffer.length > SYNC_WRITE_BYTES)
    .map((write) => writeFully(write));
  let failure: { error: unknown } | undefined;
  try {
    let sliceBytes = 0;
    let sliceWrites = 0;
    for (const write of writes) {
      if (write.buffer.length > SYNC_WRITE_BYTES) continue;
      if (sliceBytes >= SYNC_SLICE_BYTES || sliceWrites >= SYNC_SLICE_WRITES) {
        sliceBytes = 0;
        sliceWrites = 0;
        await nextTurn();
      }
      writeAllSync(write.fd, write.buffer, write.oldSize);
      sliceBytes += write.buffer.length;
      sliceWrites++;
    }
  } catch (error) {
    failure = { error };
  }
  await settleAll(inFlight);
  if (failure) throw failure.error;
}

const writeAt = promisify(write);

/** One `write` call; loops only in the rare case of a short write. */
async function writeFully({ buffer, fd, oldSize }: SessionWrite): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const length = buffer.length - written;
    written += (await writeAt(fd, buffer, written, length, oldSize + written)).bytesWritten;
  }
}

function isOutOfDescriptors(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** Waits for every operation, then throws the first failure. */
async function settleAll(operations: Array<Promise<unknown>>): Promise<void> {
  for (const outcome of await Promise.allSettled(operations)) {
    if (outcome.status === 'rejected') throw outcome.reason;
  }
}
