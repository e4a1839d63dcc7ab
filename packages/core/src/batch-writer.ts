import { setImmediate as nextTurn } from 'node:timers/promises';
import { backendFailure, isTransient } from './backend-failure.js';
import { dedupeBatch } from './dedupe-batch.js';
import { BackpressureError } from './errors/backpressure-error.js';
import { ConflictError } from './errors/conflict-error.js';
import { StorageError } from './errors/storage-error.js';
import type { BatchCondition, BatchConflict, WriteOutcome } from './history-backend.js';
import type { AppendResult } from './history-store.js';
import { type BatchMetrics, batchChannel } from './metrics.js';
import type { PreparedEnvelope } from './prepare-envelope.js';
import { RateMeter } from './rate-meter.js';
import { type RetryPolicy, retryTransient } from './retry-transient.js';
import type { ResolvedStoreOptions } from './store-options.js';

export interface BatchWriterOptions
  extends Pick<
    ResolvedStoreOptions,
    | 'maxBatchSize'
    | 'maxBatchBytes'
    | 'maxQueuedEvents'
    | 'maxQueuedBytes'
    | 'backpressure'
    | 'retries'
    | 'retryDelayMs'
    | 'maxConcurrentBatches'
  > {
  onMetrics?(metrics: BatchMetrics): void;
  /** Name reported in metrics. */
  name: string;
  /** Commits one batch atomically; one outcome per record, in order (see `HistoryBackend.writeBatch`). */
  writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]>;
  isTransient?(error: unknown): boolean;
  /** The one session a failed batch's error belongs to (see `HistoryBackend.failedSession`). */
  failedSession?(error: unknown): string | undefined;
}

/**
 * One `enqueue` call: its records stay together in one batch when they fit. Or, with `op`
 * set and no items, a `runExclusive` operation: it waits for everything queued before it.
 */
interface Group {
  items: readonly PreparedEnvelope[];
  /** The session's last seq the records may follow (a conditional append, never split). */
  expectedSeq?: number;
  op?: ExclusiveOp;
  bytes: number;
  results: AppendResult[];
  taken: number;
  takenBytes: number;
  settled: number;
  failed: boolean;
  /** Sessions the group touches, computed when first needed. */
  sessions?: readonly string[];
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

interface Waiter {
  items: readonly PreparedEnvelope[];
  bytes: number;
  expectedSeq: number | undefined;
  /** A `runExclusive` operation made while appends waited for room: it keeps its place. */
  op?: ExclusiveOp;
  resolve(results: Promise<AppendResult[]>): void;
}

interface ExclusiveOp {
  run(): Promise<void>;
  started: boolean;
}

interface Slot {
  group: Group;
  index: number;
}

const RATE_WINDOW_MS = 5000;
/** A group this large starts its batch in the next event-loop turn (see `push`). */
const DEFER_EVENTS = 256;
const DEFER_BYTES = 256 * 1024;

/**
 * Group commit without a timer: while a batch is being written, new records
 * accumulate; when it finishes, everything accumulated (up to the batch
 * limits) becomes the next batch. With `maxConcurrentBatches > 1` (backends
 * with a connection pool) several batches are written at once, but never two
 * touching the same session, and a session's records are never taken ahead
 * of its earlier ones: per-session order is kept exactly as with one batch.
 */
export class BatchWriter {
  private readonly options: BatchWriterOptions;
  private queue: Group[] = [];
  private head = 0;
  private queuedEvents = 0;
  private queuedBytes = 0;
  /** Queued plus in flight: what backpressure limits. */
  private pendingEvents = 0;
  private pendingBytes = 0;
  private inFlight = 0;
  private scheduled = false;
  /** A batch finished and the next one waits for the event loop to turn once. */
  private yielding = false;
  /** Sessions of the batches being written, with how many batches hold each. */
  private readonly busySessions = new Map<string, number>();
  private waiters: Waiter[] = [];
  private waitersHead = 0;
  private waitingEvents = 0;
  private waitingBytes = 0;
  /** `runExclusive` operations queued or running. */
  private queuedOps = 0;
  private enqueuedEvents = 0;
  private settledEvents = 0;
  private flushWaiters: Array<{ target: number; resolve(): void }> = [];
  private readonly rate = new RateMeter(RATE_WINDOW_MS);
  private readonly retryPolicy: RetryPolicy;

  constructor(options: BatchWriterOptions) {
    this.options = options;
    this.retryPolicy = {
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      isTransient: (error) => isTransient(options, error),
    };
  }

  /** Events queued or being written. */
  get pending(): number {
    return this.pendingEvents + this.waitingEvents;
  }

  /**
   * Queues records; resolves once their batch committed, with one result per record. With
   * `expectedSeq` (records of one session that fit in one batch), rejects with
   * `ConflictError` when the backend found the session elsewhere.
   */
  enqueue(items: readonly PreparedEnvelope[], expectedSeq?: number): Promise<AppendResult[]> {
    if (items.length === 0) return Promise.resolve([]);
    let bytes = 0;
    for (const item of items) bytes += item.bytes;
    if (this.waitersHead === this.waiters.length && this.hasRoom(items.length, bytes)) {
      return this.push(items, bytes, expectedSeq);
    }
    // Waiting appends hold their serialised envelopes: at most a queue's worth may wait, so
    // callers that never await cannot grow memory without bound. Beyond it, or with
    // `backpressure: 'reject'`, the append is refused.
    if (this.options.backpressure === 'reject' || !this.hasWaitingRoom(items.length, bytes)) {
      return Promise.reject(backpressureError(this.pendingEvents, this.pendingBytes));
    }
    this.waitingEvents += items.length;
    this.waitingBytes += bytes;
    // Resolved with push()'s promise once admitted, which it then follows.
    return new Promise<AppendResult[]>((resolve) => {
      this.waiters.push({ items, bytes, expectedSeq, resolve });
    });
  }

  /**
   * Runs `op` once every record enqueued before the call has settled, holding records
   * enqueued after it until `op` settles: an operation ordered between appends.
   */
  runExclusive<T>(op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const exclusive: ExclusiveOp = {
        started: false,
        run: () => op().then(resolve, reject),
      };
      // Behind appends still waiting for room, if any: they were made before it.
      if (this.waitersHead < this.waiters.length) {
        this.waiters.push({
          items: [],
          bytes: 0,
          expectedSeq: undefined,
          op: exclusive,
          resolve() {},
        });
      } else {
        this.queueOp(exclusive);
      }
    });
  }

  private queueOp(op: ExclusiveOp): void {
    this.queue.push({ ...emptyGroup(), op });
    this.queuedOps++;
    this.schedule(false);
  }

  /** Resolves once every record enqueued (or waiting for room) before the call has settled. */
  flush(): Promise<void> {
    const target = this.enqueuedEvents + this.waitingEvents;
    if (this.settledEvents >= target) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ target, resolve }));
  }

  private hasWaitingRoom(events: number, bytes: number): boolean {
    return this.fits(this.waitingEvents, this.waitingBytes, events, bytes);
  }

  private hasRoom(events: number, bytes: number): boolean {
    return this.fits(this.pendingEvents, this.pendingBytes, events, bytes);
  }

  /** Whether a request fits beside what is held; one larger than the limits fits alone, so it never waits forever. */
  private fits(heldEvents: number, heldBytes: number, events: number, bytes: number): boolean {
    if (heldEvents === 0) return true;
    return (
      heldEvents + events <= this.options.maxQueuedEvents &&
      heldBytes + bytes <= this.options.maxQueuedBytes
    );
  }

  private push(
    items: readonly PreparedEnvelope[],
    bytes: number,
    expectedSeq: number | undefined,
  ): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({
        items,
        bytes,
        expectedSeq,
        results: new Array(items.length),
        taken: 0,
        takenBytes: 0,
        settled: 0,
        failed: false,
        resolve,
        reject,
      });
      this.queuedEvents += items.length;
      this.queuedBytes += bytes;
      this.pendingEvents += items.length;
      this.pendingBytes += bytes;
      this.enqueuedEvents += items.length;
      this.schedule(bytes >= DEFER_BYTES || items.length >= DEFER_EVENTS);
    });
  }

  private schedule(bulk: boolean): void {
    if (this.scheduled || this.yielding || this.inFlight >= this.options.maxConcurrentBatches) {
      return;
    }
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      this.pump();
    };
    // A microtask lets records appended in the same tick join the same batch. A bulk
    // call was just validated and serialised synchronously by its caller: the backend's
    // own synchronous part then starts in the next turn, so the two never add up into
    // one long stall of the event loop.
    if (bulk) setImmediate(start);
    else queueMicrotask(start);
  }

  private admitWaiters(): void {
    while (this.waitersHead < this.waiters.length) {
      const next = this.waiters[this.waitersHead]!;
      if (!this.hasRoom(next.items.length, next.bytes)) break;
      this.waiters[this.waitersHead++] = undefined as unknown as Waiter;
      if (next.op) {
        this.queueOp(next.op);
        continue;
      }
      this.waitingEvents -= next.items.length;
      this.waitingBytes -= next.bytes;
      next.resolve(this.push(next.items, next.bytes, next.expectedSeq));
    }
    // Compact the FIFO now and then instead of shifting it on every admission.
    if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.waitersHead);
      this.waitersHead = 0;
    }
  }

  /** Starts batches while there is room in flight and something eligible to write. */
  private pump(): void {
    while (
      this.inFlight < this.options.maxConcurrentBatches &&
      (this.queuedEvents > 0 || this.queuedOps > 0)
    ) {
      const slots = this.take();
      if (!Array.isArray(slots)) {
        this.runOp(slots);
        return;
      }
      if (slots.length === 0) return; // everything queued waits for a session (or an operation) in flight
      this.inFlight++;
      const sessions = new Set<string>();
      for (const { group, index } of slots) sessions.add(group.items[index]!.sessionId);
      for (const session of sessions) {
        this.busySessions.set(session, (this.busySessions.get(session) ?? 0) + 1);
      }
      void this.write(slots).finally(() => {
        this.inFlight--;
        for (const session of sessions) {
          const n = this.busySessions.get(session)! - 1;
          if (n === 0) this.busySessions.delete(session);
          else this.busySessions.set(session, n);
        }
        this.admitWaiters();
        this.pumpNextTurn();
      });
    }
  }

  /**
   * Starts the next batch from a macrotask: a backend that completes without real I/O
   * (page-cache writes, memory) would otherwise chain batches and their callers' next
   * appends as microtasks forever, and timers and sockets would starve.
   */
  private pumpNextTurn(): void {
    if (this.yielding) return;
    this.yielding = true;
    setImmediate(() => {
      this.yielding = false;
      this.pump();
    });
  }

  /** Runs an operation that `take` found at the head of the queue with nothing in flight. */
  private runOp(group: Group): void {
    const op = group.op!;
    op.started = true;
    this.inFlight++;
    void op.run().finally(() => {
      this.inFlight--;
      this.queuedOps--;
      group.op = undefined; // now an empty group: `take` steps over it
      this.pumpNextTurn();
    });
  }

  /**
   * Takes the next batch in queue order: whole groups while they fit (a group
   * alone may be split). A group touching a session that is being written, or
   * that an earlier skipped group touches, is skipped, so no session's records
   * overtake each other. Nothing is taken past an operation (`runExclusive`); the
   * operation itself is returned once everything before it has settled.
   */
  private take(): Slot[] | Group {
    const { maxBatchSize, maxBatchBytes } = this.options;
    const slots: Slot[] = [];
    let bytes = 0;
    const blocked = this.busySessions.size > 0 ? new Set(this.busySessions.keys()) : undefined;
    let skipped = false;
    for (let i = this.head; i < this.queue.length; i++) {
      const group = this.queue[i]!;
      if (group.op) {
        const ready = !group.op.started && slots.length === 0 && i === this.head;
        if (ready && this.inFlight === 0) return group;
        break;
      }
      if (group.taken === group.items.length) {
        if (!skipped && i === this.head) this.passHead();
        continue;
      }
      if (group.failed) {
        this.dropRest(group);
        if (!skipped && i === this.head) this.passHead();
        continue;
      }
      if (blocked) {
        const sessions = sessionsOf(group);
        if (sessions.some((s) => blocked.has(s))) {
          for (const s of sessions) blocked.add(s);
          skipped = true;
          continue;
        }
      }
      const remaining = group.items.length - group.taken;
      const remainingBytes = group.bytes - group.takenBytes;
      if (
        slots.length > 0 &&
        (slots.length + remaining > maxBatchSize || bytes + remainingBytes > maxBatchBytes)
      ) {
        break;
      }
      while (group.taken < group.items.length) {
        const item = group.items[group.taken]!;
        if (
          slots.length > 0 &&
          (slots.length >= maxBatchSize || bytes + item.bytes > maxBatchBytes)
        ) {
          break;
        }
        slots.push({ group, index: group.taken });
        bytes += item.bytes;
        group.taken++;
        group.takenBytes += item.bytes;
      }
      if (group.taken < group.items.length) break;
      if (!skipped && i === this.head) this.passHead();
    }
    this.queuedEvents -= slots.length;
    this.queuedBytes -= bytes;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return slots;
  }

  /**
   * Steps past the head group, which is wholly taken: its slot is cleared, as the batch
   * holding its records (if any) keeps it until they settle. Left in place until the next
   * compaction, every passed group (its records' JSON, results and promise callbacks) lived
   * through up to a thousand more appends: long enough to survive young-generation
   * collections and be promoted, so single appends paid for old-space collections.
   */
  private passHead(): void {
    this.queue[this.head++] = undefined as unknown as Group;
  }

  /** Forgets the untaken records of a group whose earlier part failed. */
  private dropRest(group: Group): void {
    const remaining = group.items.length - group.taken;
    const remainingBytes = group.bytes - group.takenBytes;
    group.taken = group.items.length;
    group.takenBytes = group.bytes;
    this.queuedEvents -= remaining;
    this.queuedBytes -= remainingBytes;
    this.pendingEvents -= remaining;
    this.pendingBytes -= remainingBytes;
    this.settle(remaining);
  }

  /**
   * Writes one batch, retrying transient failures. When the backend names one
   * damaged session, the groups touching it fail and the rest is written again.
   */
  private async write(slots: Slot[]): Promise<void> {
    for (;;) {
      const { results, failure, badSession, bytes } = await this.attempt(slots);
      // A bulk batch's backend may have done its work synchronously in this turn: its callers
      // (often about to validate their next bulk call) continue in the next one, so the two
      // never add up into one long stall of the event loop.
      if (slots.length >= DEFER_EVENTS || bytes >= DEFER_BYTES) await nextTurn();
      if (results || badSession === undefined) {
        this.finish(slots, results, failure);
        return;
      }
      const failing = new Set<Group>();
      for (const { group, index } of slots) {
        if (group.items[index]!.sessionId === badSession) failing.add(group);
      }
      this.finish(
        slots.filter(({ group }) => failing.has(group)),
        undefined,
        failure,
      );
      slots = slots.filter(({ group }) => !failing.has(group));
      if (slots.length === 0) return;
    }
  }

  private async attempt(slots: readonly Slot[]): Promise<{
    results?: WriteOutcome[];
    failure?: unknown;
    badSession?: string;
    /** Bytes of the batch's records. */
    bytes: number;
  }> {
    const items = new Array<PreparedEnvelope>(slots.length);
    let batchBytes = 0;
    for (let i = 0; i < slots.length; i++) {
      const { group, index } = slots[i]!;
      const item = group.items[index]!;
      items[i] = item;
      batchBytes += item.bytes;
    }
    const { unique, target } = dedupeBatch(items);
    const conditions = conditionsOf(slots, target);

    const started = performance.now();
    const outcome = await retryTransient(async () => {
      const written = await this.options.writeBatch(
        unique,
        conditions.length > 0 ? conditions : undefined,
      );
      if (!Array.isArray(written) || written.length !== unique.length) {
        throw new StorageError(
          `${this.options.name}: backend returned ${written?.length} results for ${unique.length} records`,
          { backend: this.options.name, operation: 'append' },
        );
      }
      return written;
    }, this.retryPolicy);
    const latency = performance.now() - started;
    if (outcome.ok) {
      const written = outcome.value;
      const results = new Array<WriteOutcome>(slots.length);
      for (let i = 0; i < slots.length; i++) {
        const t = target[i]!;
        if (t >= 0) results[i] = written[t]!;
        else {
          const first = written[-1 - t]!;
          results[i] = isConflict(first) ? first : { ...first, duplicate: true };
        }
      }
      this.report(slots.length, batchBytes, latency, outcome.attempts, true);
      return { results, bytes: batchBytes };
    }
    const { error } = outcome;
    const failure = backendFailure(this.options, 'append', error);
    this.report(slots.length, batchBytes, latency, outcome.attempts, false, failure);
    return { failure, badSession: this.options.failedSession?.(error), bytes: batchBytes };
  }

  /**
   * Settles the slots: with their results (in slot order) or, for their groups, the failure.
   * A conditional group with a conflict rejects with `ConflictError` (it wrote nothing).
   */
  private finish(
    slots: readonly Slot[],
    results: WriteOutcome[] | undefined,
    failure: unknown,
  ): void {
    let bytes = 0;
    for (let i = 0; i < slots.length; i++) {
      const { group, index } = slots[i]!;
      bytes += group.items[index]!.bytes;
      group.settled++;
      const result = results?.[i];
      if (result && !isConflict(result)) {
        group.results[index] = result;
        if (group.settled === group.items.length && !group.failed) group.resolve(group.results);
      } else if (!group.failed) {
        group.failed = true;
        group.reject(
          result
            ? new ConflictError(result.sessionId, group.expectedSeq ?? 0, result.actualSeq)
            : failure,
        );
      }
    }
    this.pendingEvents -= slots.length;
    this.pendingBytes -= bytes;
    this.settle(slots.length);
  }

  private settle(events: number): void {
    this.settledEvents += events;
    if (this.flushWaiters.length === 0) return;
    const still: typeof this.flushWaiters = [];
    for (const w of this.flushWaiters) {
      // After a macrotask, so callers' own continuations on the settled appends run first.
      if (this.settledEvents >= w.target) setImmediate(w.resolve);
      else still.push(w);
    }
    this.flushWaiters = still;
  }

  private report(
    batchSize: number,
    batchBytes: number,
    flushLatencyMs: number,
    attempts: number,
    ok: boolean,
    error?: unknown,
  ): void {
    const now = performance.now();
    if (ok) this.rate.record(now, batchSize);
    if (!this.options.onMetrics && !batchChannel.hasSubscribers) return;
    const metrics: BatchMetrics = {
      kind: 'batch',
      store: this.options.name,
      batchSize,
      batchBytes,
      flushLatencyMs,
      queueDepth: this.queuedEvents,
      queuedBytes: this.queuedBytes,
      eventsPerSecond: this.rate.perSecond(now, flushLatencyMs),
      attempts,
      ok,
      ...(ok ? {} : { error }),
    };
    if (batchChannel.hasSubscribers) batchChannel.publish(metrics);
    try {
      this.options.onMetrics?.(metrics);
    } catch {
      // A faulty metrics hook must not break writes.
    }
  }
}

function emptyGroup(): Omit<Group, 'resolve' | 'reject'> & Pick<Group, 'resolve' | 'reject'> {
  return {
    items: [],
    bytes: 0,
    results: [],
    taken: 0,
    takenBytes: 0,
    settled: 0,
    failed: false,
    resolve() {},
    reject() {},
  };
}

/**
 * The conditions of a batch's conditional groups, as ranges of `unique`. A group's records
 * that repeat an earlier record of the batch get that record's outcome instead; the rest
 * are consecutive in `unique` (first occurrences keep slot order, and a conditional group
 * is never split).
 */
function conditionsOf(slots: readonly Slot[], target: readonly number[]): BatchCondition[] {
  const conditions: BatchCondition[] = [];
  let i = 0;
  while (i < slots.length) {
    const { group } = slots[i]!;
    let end = i;
    while (end < slots.length && slots[end]!.group === group) end++;
    if (group.expectedSeq !== undefined) {
      let start = -1;
      let count = 0;
      for (let k = i; k < end; k++) {
        const t = target[k]!;
        if (t < 0) continue;
        if (start < 0) start = t;
        count++;
      }
      if (count > 0) conditions.push({ start, count, expectedSeq: group.expectedSeq });
    }
    i = end;
  }
  return conditions;
}

function isConflict(outcome: WriteOutcome): outcome is BatchConflict {
  return (outcome as BatchConflict).conflict === true;
}

function sessionsOf(group: Group): readonly string[] {
  if (!group.sessions) {
    group.sessions =
      group.items.length === 1
        ? [group.items[0]!.sessionId]
        : [...new Set(group.items.map((item) => item.sessionId))];
  }
  return group.sessions;
}

/**
 * A refusal is flow control, raised once per refused call and possibly a
 * million times in a burst: without a captured stack each costs about a tenth
 * of the memory (the message and code say all there is to say).
 */
function backpressureError(events: number, bytes: number): BackpressureError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new BackpressureError(events, bytes);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
