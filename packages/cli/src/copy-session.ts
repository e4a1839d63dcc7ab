import {
  ConflictError,
  type Envelope,
  type HistoryRecord,
  type HistoryStore,
  InvalidArgumentError,
  type SessionInfo,
} from '@history/core';
import { envelopeOf } from './export-line.js';

export interface CopySessionOptions {
  source: HistoryStore;
  target: HistoryStore;
  /** The session as the source's `listSessions` described it. */
  session: SessionInfo;
  /** Most events in one conditional `appendMany` (one batch of the target's writer). */
  chunkSize: number;
  /**
   * Copy a session whose seqs have gaps (purged, expired or deleted events) with the seqs the
   * target hands out, instead of refusing it.
   */
  renumber: boolean;
  /** Aborted: stop reading, let the write in flight commit, return `interrupted`. */
  signal: AbortSignal;
  /** Events now at the target, counted as they commit (those already there included). */
  onProgress(events: number): void;
}

export type CopySessionResult =
  | {
      status: 'done';
      copied: number;
      /** The source's checkpoint of the session was written to the target. */
      checkpoint: boolean;
      /** The target numbered the events differently (`renumber`). */
      renumbered: boolean;
    }
  | { status: 'interrupted'; copied: number }
  /** Not copied (or copied up to a gap): `reason` says why, in one line. */
  | { status: 'refused'; copied: number; reason: string };

/** The session cannot be copied as it is; the run goes on with the others. */
class Refusal extends Error {}

/**
 * Copies what the target lacks of one session, then its checkpoint.
 *
 * Where the target stands is its `lastSeq` (`getSession`); the source is streamed after it and
 * written in chunks of `chunkSize` with `expectedSeq`, so a concurrent writer to the target
 * session is detected (`ConflictError`) instead of interleaved, and a re-run after an
 * interruption copies only what is missing. The next chunk is read while the previous one is
 * written. Seqs are handed out by the target: it gives the source's seqs only when they run
 * from 1 without a gap; a session with gaps is refused (nothing written), or with `renumber`
 * copied with the target's seqs, resuming by matching the target's events to the source's
 * one by one (ids in order), and its checkpoint's `seq` translated.
 */
export async function copySession(options: CopySessionOptions): Promise<CopySessionResult> {
  const { source, target, session, signal } = options;
  const id = session.sessionId;
  let copied = 0;
  try {
    const there = await target.getSession(id);
    const gaps = session.eventCount !== session.lastSeq;
    if (gaps && !options.renumber) {
      throw new Refusal(
        `${session.lastSeq - session.eventCount} of its seqs 1-${session.lastSeq} have no event at the source (purged, expired or deleted events): the target would number its events differently; copy it with --renumber`,
      );
    }
    const checkpoint = await source.getCheckpoint(id);
    const cpSeq = checkpoint?.seq;
    /** The target's seq of the last source event at or before the checkpoint's seq. */
    let mappedCp = 0;
    let targetLast = there?.lastSeq ?? 0;
    let renumbered = false;
    /** Source events the target already had. */
    let already = 0;

    let records: AsyncIterator<HistoryRecord>;
    if (!options.renumber) {
      if (targetLast > session.lastSeq) {
        throw new Refusal(
          `the target session is at seq ${targetLast}, past the source's last seq ${session.lastSeq}: it holds events the source does not`,
        );
      }
      already = Math.min(targetLast, session.eventCount);
      records = source.stream(id, { after: targetLast })[Symbol.asyncIterator]();
    } else {
      records = source.stream(id)[Symbol.asyncIterator]();
    }
    options.onProgress(already);

    let chunk: HistoryRecord[] = [];
    let inFlight: Promise<void> | undefined;
    let failure: unknown;
    const write = async (batch: HistoryRecord[]): Promise<void> => {
      const results = await appendChunk(target, batch, targetLast);
      for (let i = 0; i < batch.length; i++) {
        const sourceSeq = batch[i]!.seq;
        const targetSeq = results[i]!;
        if (targetSeq !== sourceSeq) {
          if (!options.renumber) {
            throw new Refusal(
              `the target gave seq ${targetSeq} to the source's seq ${sourceSeq} (was the session deleted at the target? its seqs continue after the deleted ones)`,
            );
          }
          renumbered = true;
        }
        if (cpSeq !== undefined && sourceSeq <= cpSeq) mappedCp = targetSeq;
      }
      targetLast = results.at(-1)!;
      copied += batch.length;
      options.onProgress(already + copied);
    };
    // One chunk is written while the next is read; a failure is kept until it is waited for
    // (a rejection nobody awaits yet would be an unhandled one).
    const flush = async () => {
      const batch = chunk;
      chunk = [];
      if (inFlight) await inFlight;
      inFlight = undefined;
      if (failure !== undefined) throw failure;
      if (batch.length === 0) return;
      inFlight = write(batch).catch((error) => {
        failure = error;
      });
    };
    let gap: string | undefined;
    try {
      let pending: HistoryRecord | undefined;
      if (options.renumber && there !== null && there.eventCount > 0) {
        // Resuming: the target's events must be the source's first ones, in order.
        const matched = await matchTarget(records, target.stream(id), cpSeq);
        already = matched.count;
        mappedCp = matched.cp;
        pending = matched.next;
        renumbered = matched.renumbered;
        options.onProgress(already);
      }
      let expected = targetLast + 1;
      for (;;) {
        let record: HistoryRecord;
        if (pending) {
          record = pending;
          pending = undefined;
        } else {
          const next = await records.next();
          if (next.done) break;
          record = next.value;
        }
        if (!options.renumber && record.seq !== expected) {
          gap = `seqs ${expected}-${record.seq - 1} have no event at the source (expired or purged while copying): copied up to seq ${expected - 1}; copy it with --renumber`;
          break;
        }
        expected++;
        chunk.push(record);
        if (chunk.length >= options.chunkSize) {
          await flush();
          if (signal.aborted) break;
        }
      }
    } finally {
      await records.return?.();
    }
    await flush();
    if (inFlight) await inFlight;
    if (failure !== undefined) throw failure;
    if (gap !== undefined) throw new Refusal(gap);
    if (signal.aborted) return { status: 'interrupted', copied };

    let wroteCheckpoint = false;
    if (checkpoint) {
      const seq = cpSeq === undefined ? undefined : options.renumber ? mappedCp : cpSeq;
      const current = await target.getCheckpoint(id);
      if (
        current === null ||
        current.seq !== seq ||
        JSON.stringify(current.payload) !== JSON.stringify(checkpoint.payload)
      ) {
        await target.checkpoint(id, checkpoint.payload, seq === undefined ? undefined : { seq });
        wroteCheckpoint = true;
      }
    }
    return { status: 'done', copied, checkpoint: wroteCheckpoint, renumbered };
  } catch (error) {
    if (error instanceof Refusal) return { status: 'refused', copied, reason: error.message };
    if (ConflictError.isInstance(error)) {
      return {
        status: 'refused',
        copied,
        reason: `the target session changed during the copy (at seq ${error.actualSeq}, expected ${error.expectedSeq}): another process writes to it; copy again when it is done`,
      };
    }
    throw error;
  }
}

/**
 * Appends a chunk of one session on condition that the target session is at `expectedSeq`;
 * resolves with the target's seq of each event. A chunk larger than one target batch (its
 * envelopes' bytes) is refused by the store before anything is queued, and is then written
 * in halves.
 */
async function appendChunk(
  target: HistoryStore,
  batch: readonly HistoryRecord[],
  expectedSeq: number,
): Promise<number[]> {
  const envelopes: Envelope[] = batch.map(envelopeOf);
  try {
    const results = await target.appendMany(envelopes, { expectedSeq });
    return results.map((r) => r.seq);
  } catch (error) {
    if (
      batch.length > 1 &&
      InvalidArgumentError.isInstance(error) &&
      error.field === 'envelopes' &&
      error.message.includes('fit in one batch')
    ) {
      const half = Math.ceil(batch.length / 2);
      const first = await appendChunk(target, batch.slice(0, half), expectedSeq);
      return [...first, ...(await appendChunk(target, batch.slice(half), first.at(-1)!))];
    }
    throw error;
  }
}

/**
 * Walks the target's events beside the source's first ones, which must have the same ids in
 * the same order. Resolves with how many matched, the target's seq of the last one at or
 * before `cpSeq`, whether any seq differed, and the first source record the target lacks.
 */
async function matchTarget(
  records: AsyncIterator<HistoryRecord>,
  targetRecords: AsyncIterable<HistoryRecord>,
  cpSeq: number | undefined,
): Promise<{ count: number; cp: number; renumbered: boolean; next?: HistoryRecord }> {
  let count = 0;
  let cp = 0;
  let renumbered = false;
  for await (const there of targetRecords) {
    const next = await records.next();
    if (next.done) {
      throw new Refusal(
        `the target session has events the source does not (event ${JSON.stringify(there.id)} at seq ${there.seq})`,
      );
    }
    if (next.value.id !== there.id) {
      throw new Refusal(
        `the target session differs from the source: its seq ${there.seq} is event ${JSON.stringify(there.id)}, the source's next is ${JSON.stringify(next.value.id)}`,
      );
    }
    count++;
    if (next.value.seq !== there.seq) renumbered = true;
    if (cpSeq !== undefined && next.value.seq <= cpSeq) cp = there.seq;
  }
  const next = await records.next();
  return next.done ? { count, cp, renumbered } : { count, cp, renumbered, next: next.value };
}
