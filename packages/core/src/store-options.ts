import { z } from 'zod';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { identifierProblem } from './identifier.js';
import type { BatchMetrics, PurgeMetrics } from './metrics.js';

/** Options every store accepts, on top of its backend's own. */
export interface StoreOptions {
  /** Largest envelope (or checkpoint payload) as JSON, in bytes. Default 1 MiB. */
  maxEnvelopeBytes?: number;
  /** Session used for envelopes without `sessionId`. Default `'default'`. */
  defaultSessionId?: string;
  /**
   * Most envelopes written in one batch (one transaction / write). Default 1000; adapters
   * may tune it (PostgreSQL: 5000).
   */
  maxBatchSize?: number;
  /** Most JSON bytes written in one batch. Default 8 MiB. */
  maxBatchBytes?: number;
  /**
   * Above this many queued or in-flight events, `append` waits (or rejects). At most as
   * many again may wait; beyond that `append` rejects with `HISTORY_BACKPRESSURE` even
   * with `backpressure: 'wait'`. Default 20,000.
   */
  maxQueuedEvents?: number;
  /** The same limit in bytes of envelope JSON. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** What `append` does when the queue is full: wait for room (within the waiting limit) or reject. Default `'wait'`. */
  backpressure?: 'wait' | 'reject';
  /**
   * Batches written at once. Above 1 (backends with a connection pool), batches
   * never share a session, so per-session order is unchanged. Default 1; adapters may
   * tune it (PostgreSQL: 4).
   */
  maxConcurrentBatches?: number;
  /** Retries of a batch that failed with a transient error (lost connection, SQLITE_BUSY). Default 3. */
  retries?: number;
  /** Delay before the first retry, doubled on each further one; each is jittered to between half and all of it. Default 20 ms. */
  retryDelayMs?: number;
  /**
   * Purges expired events in the background, every `intervalMs`: events past their
   * `ttlMs`, and those the rules given here retire. Off unless given.
   */
  retention?: RetentionOptions;
  /**
   * How often a following `stream` reads again to find events committed by other stores
   * and processes (this store's own commits wake it at once). Default 100 ms.
   */
  followPollMs?: number;
  /**
   * Called after every batch (`BatchMetrics`) and every background purge (`PurgeMetrics`,
   * `kind: 'purge'`); exceptions it throws are ignored.
   */
  onMetrics?(metrics: BatchMetrics | PurgeMetrics): void;
}

export interface RetentionOptions {
  /** Also purge events whose `occurredAt` is older than this. */
  maxAgeMs?: number;
  /** Also purge a session's oldest events beyond its newest this many. */
  maxEventsPerSession?: number;
  /** Time between background purges (the timer does not keep the process alive). Default 60 s. */
  intervalMs?: number;
}

export type ResolvedStoreOptions = Required<Omit<StoreOptions, 'onMetrics' | 'retention'>> &
  Pick<StoreOptions, 'onMetrics'> & {
    retention?: RetentionOptions & { intervalMs: number };
  };

export const DEFAULT_RETENTION_INTERVAL_MS = 60_000;

export const DEFAULT_STORE_OPTIONS: Omit<ResolvedStoreOptions, 'onMetrics' | 'retention'> = {
  maxEnvelopeBytes: 1024 * 1024,
  defaultSessionId: 'default',
  maxBatchSize: 1000,
  maxBatchBytes: 8 * 1024 * 1024,
  maxQueuedEvents: 20_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  backpressure: 'wait',
  maxConcurrentBatches: 1,
  retries: 3,
  retryDelayMs: 20,
  followPollMs: 100,
};

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const storeOptionsSchema = z.object({
  maxEnvelopeBytes: positiveInt.optional(),
  defaultSessionId: z.string().optional(),
  maxBatchSize: positiveInt.optional(),
  maxBatchBytes: positiveInt.optional(),
  maxQueuedEvents: positiveInt.optional(),
  maxQueuedBytes: positiveInt.optional(),
  backpressure: z.enum(['wait', 'reject']).optional(),
  maxConcurrentBatches: z.number().int().min(1).max(64).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  retryDelayMs: z.number().min(0).max(60_000).optional(),
  followPollMs: z.number().int().min(1).max(2_147_483_647).optional(),
  retention: z
    .object({
      maxAgeMs: positiveInt.optional(),
      maxEventsPerSession: positiveInt.optional(),
      intervalMs: z.number().int().min(1).max(2_147_483_647).optional(),
    })
    .strict()
    .optional(),
  onMetrics: z
    .custom<(m: BatchMetrics | PurgeMetrics) => void>((v) => typeof v === 'function')
    .optional(),
});

/** Names of the common options, for adapters that reject unknown keys. */
export const STORE_OPTION_KEYS: readonly string[] = Object.keys(storeOptionsSchema.shape);

const STORE_KEYS = new Set(STORE_OPTION_KEYS);

/**
 * Rejects a key that is neither a common option nor one of `adapterKeys`: a
 * misspelt option (`fileName`, `maxBatchsize`) would otherwise be ignored and
 * its default used without a word.
 */
export function assertKnownOptions(
  options: object,
  adapterKeys: readonly string[],
  field = 'options',
): void {
  for (const key of Object.keys(options)) {
    if (!STORE_KEYS.has(key) && !adapterKeys.includes(key)) {
      throw new InvalidArgumentError(`${field}.${key}`, 'unknown option');
    }
  }
}

/**
 * Validates the common options (unknown keys are left for the backend to
 * check) and fills in defaults; `defaults` lets a backend tune them.
 */
export function resolveStoreOptions(
  options: unknown,
  defaults: Partial<ResolvedStoreOptions> = {},
  field = 'options',
): ResolvedStoreOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(field, 'expected an object');
  }
  const parsed = storeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgumentError(`${field}.${issue.path.map(String).join('.')}`, issue.message);
  }
  const given = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  const resolved = { ...DEFAULT_STORE_OPTIONS, ...defaults, ...given } as ResolvedStoreOptions;
  if (parsed.data.retention) {
    resolved.retention = {
      ...Object.fromEntries(
        Object.entries(parsed.data.retention).filter(([, v]) => v !== undefined),
      ),
      intervalMs: parsed.data.retention.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS,
    };
  }
  const problem = identifierProblem(resolved.defaultSessionId);
  if (problem) throw new InvalidArgumentError(`${field}.defaultSessionId`, problem);
  return resolved;
}
