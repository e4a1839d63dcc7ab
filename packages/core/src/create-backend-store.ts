import { expectedSeqOf } from './append-options.js';
import { backendFailure } from './backend-failure.js';
import { BatchWriter } from './batch-writer.js';
import { nonNegativeInteger } from './call-options.js';
import { CommitSignal } from './commit-signal.js';
import { ClosedError } from './errors/closed-error.js';
import { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { normalizeFeedOptions } from './feed-options.js';
import { feedPages } from './feed-pages.js';
import { followPages } from './follow-pages.js';
import type { HistoryBackend, StoredFeedEntry } from './history-backend.js';
import type {
  AppendResult,
  Checkpoint,
  CheckpointOptions,
  DeleteSessionResult,
  FeedEntry,
  FeedOptions,
  HistoryRecord,
  HistoryStore,
  ListSessionsOptions,
  PurgeOptions,
  PurgeResult,
  SessionInfo,
  StreamOptions,
} from './history-store.js';
import { assertSessionId, describe } from './identifier.js';
import { listSessionPages, normalizeListOptions, toSessionInfo } from './list-sessions.js';
import { yieldIfDue } from './loop-budget.js';
import { type PreparedEnvelope, prepareEnvelope } from './prepare-envelope.js';
import { purgeExpired, purgeLimitOf } from './purge-expired.js';
import { RecordIterator } from './record-iterator.js';
import { startRetentionTimer } from './retention-timer.js';
import type { ResolvedStoreOptions } from './store-options.js';
import { normalizeStreamOptions } from './stream-options.js';
import { toJson } from './to-json.js';

const first = (results: AppendResult[]) => results[0]!;

/**
 * A conditional `appendMany` is checked and committed as one: its envelopes must share a
 * session and fit in one batch, which the writer then never splits.
 */
function assertOneBatch(
  prepared: readonly PreparedEnvelope[],
  options: Pick<ResolvedStoreOptions, 'maxBatchSize' | 'maxBatchBytes'>,
): void {
  const sessionId = prepared[0]?.sessionId;
  if (prepared.some((p) => p.sessionId !== sessionId)) {
    throw new InvalidArgumentError(
      'envelopes',
      'a conditional appendMany (expectedSeq) must append to one session',
    );
  }
  const bytes = prepared.reduce((sum, p) => sum + p.bytes, 0);
  if (prepared.length > options.maxBatchSize || bytes > options.maxBatchBytes) {
    throw new InvalidArgumentError(
      'envelopes',
      `a conditional appendMany (expectedSeq) must fit in one batch: at most ${options.maxBatchSize} envelopes and ${options.maxBatchBytes} bytes of JSON`,
    );
  }
}

const BACKEND_METHODS = [
  'writeBatch',
  'readPages',
  'writeCheckpoint',
  'readCheckpoint',
  'listSessions',
  'getSession',
  'deleteSession',
  'purgeExpired',
  'readFeed',
  'isFeedPosition',
  'close',
] as const;

/**
 * Builds a `HistoryStore` on a backend: validation, the batching writer,
 * closed-state handling and JSON parsing live here, once, for every adapter.
 */
export function createBackendStore(
  backend: HistoryBackend,
  options: ResolvedStoreOptions,
): HistoryStore {
  if (typeof backend !== 'object' || backend === null) {
    throw new InvalidArgumentError('backend', `expected an object, received ${describe(backend)}`);
  }
  for (const method of BACKEND_METHODS) {
    if (typeof backend[method] !== 'function') {
      throw new InvalidArgumentError(`backend.${method}`, 'expected a function');
    }
  }
  // Followers of a session are woken by this store's commits to it.
  const commits = new CommitSignal(backend.watchCommits?.bind(backend));
  const writer = new BatchWriter({
    ...options,
    name: backend.name,
    writeBatch: async (records, conditions) => {
      const outcomes = await backend.writeBatch(records, conditions);
      // Nothing to do on the hot path unless some stream follows.
      if (commits.following) {
        const written = new Set<string>();
        for (const o of outcomes) if ('seq' in o && !o.duplicate) written.add(o.sessionId);
        commits.notify(written);
      }
      return outcomes;
    },
    isTransient: backend.isTransient?.bind(backend),
    failedSession: backend.failedSession?.bind(backend),
  });
  const prepareOptions = {
    maxEnvelopeBytes: options.maxEnvelopeBytes,
    defaultSessionId: options.defaultSessionId,
  };
  let closed = false;
  let closing: Promise<void> | undefined;
  const isClosed = () => closed;
  /** Deletes and purges under way: `close()` lets them finish before the backend closes. */
  const operations = new Set<Promise<unknown>>();
  const track = <T>(operation: Promise<T>): Promise<T> => {
    operations.add(operation);
    const forget = () => operations.delete(operation);
    operation.then(forget, forget);
    return operation;
  };
  // One purge at a time (a call and the retention timer's, or two calls): each waits its turn.
  let purging: Promise<unknown> = Promise.resolve();
  const purge = (limit: number) => {
    const run = purging.then(() => purgeExpired(backend, options.retention, limit, isClosed));
    purging = run.catch(() => {});
    return track(run);
  };
  const retention =
    options.retention &&
    startRetentionTimer(
      backend.name,
      options.retention.intervalMs,
      () => purge(Number.POSITIVE_INFINITY),
      options.onMetrics && ((m) => options.onMetrics?.(m)),
    );

  const store: HistoryStore = {
    // Not an async function: on the hottest path, one promise per append instead of two.
    append(envelope, appendOptions) {
      if (closed) return Promise.reject(new ClosedError('append'));
      let prepared: PreparedEnvelope;
      let expectedSeq: number | undefined;
      try {
        prepared = prepareEnvelope(envelope, prepareOptions);
        expectedSeq = appendOptions === undefined ? undefined : expectedSeqOf(appendOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      return writer.enqueue([prepared], expectedSeq).then(first);
    },

    async appendMany(envelopes, appendOptions) {
      if (closed) throw new ClosedError('appendMany');
      if (!Array.isArray(envelopes)) {
        throw new InvalidArgumentError(
          'envelopes',
          `expected an array, received ${describe(envelopes)}`,
        );
      }
      const expectedSeq = expectedSeqOf(appendOptions);
      const prepared = envelopes.map((e, i) => prepareEnvelope(e, prepareOptions, i));
      if (expectedSeq !== undefined) assertOneBatch(prepared, options);
      return writer.enqueue(prepared, expectedSeq);
    },

    stream(sessionId: string, streamOptions?: StreamOptions): AsyncIterable<HistoryRecord> {
      if (closed) throw new ClosedError('stream');
      assertSessionId(sessionId);
      const { range, follow, signal } = normalizeStreamOptions(streamOptions);
      // Without follow or signal, the backend's pages as they are: the replay hot path.
      const pages =
        follow || signal
          ? () =>
              followPages({
                backend,
                sessionId,
                range,
                follow,
                commits,
                pollMs: options.followPollMs,
                ...(signal === undefined ? {} : { signal }),
                isClosed,
              })
          : () => backend.readPages(sessionId, range);
      return {
        [Symbol.asyncIterator]: () =>
          new RecordIterator(
            pages,
            range.limit,
            isClosed,
            (error) => backendFailure(backend, 'stream', error),
            () => signal?.aborted === true,
          ),
      };
    },

    feed(feedOptions?: FeedOptions): AsyncIterable<FeedEntry> {
      if (closed) throw new ClosedError('feed');
      const { after, limit, follow, signal } = normalizeFeedOptions(feedOptions, (position) =>
        backend.isFeedPosition(position),
      );
      const plan = {
        backend,
        follow,
        commits,
        pollMs: options.followPollMs,
        isClosed,
        ...(after === undefined ? {} : { after }),
        ...(limit === undefined ? {} : { limit }),
        ...(signal === undefined ? {} : { signal }),
      };
      return {
        [Symbol.asyncIterator]: () =>
          new RecordIterator<StoredFeedEntry, FeedEntry>(
            () => feedPages(plan),
            limit,
            isClosed,
            (error) => backendFailure(backend, 'feed', error),
            () => signal?.aborted === true,
            (record, row) => ({ position: row.position, record }),
            'feed',
          ),
      };
    },

    async checkpoint(sessionId: string, payload: unknown, opts?: CheckpointOptions) {
      if (closed) throw new ClosedError('checkpoint');
      assertSessionId(sessionId);
      const serialised = payload === undefined ? undefined : toJson(payload);
      if (serialised === undefined) throw new InvalidArgumentError('payload', 'is required');
      if ('problem' in serialised) throw new InvalidArgumentError('payload', serialised.problem);
      const bytes = Buffer.byteLength(serialised.json, 'utf8');
      if (bytes > options.maxEnvelopeBytes) {
        throw new EnvelopeTooLargeError('payload', bytes, options.maxEnvelopeBytes);
      }
      let seq: number | undefined;
      if (opts !== undefined) {
        if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
          throw new InvalidArgumentError('opts', `expected an object, received ${describe(opts)}`);
        }
        seq = nonNegativeInteger(opts.seq, 'opts.seq');
      }
      // Backends may answer without I/O: back-to-back calls must still let the loop turn.
      await yieldIfDue();
      try {
        await backend.writeCheckpoint({
          sessionId,
          json: serialised.json,
          createdAt: new Date().toISOString(),
          ...(seq === undefined ? {} : { seq }),
        });
      } catch (error) {
        throw backendFailure(backend, 'checkpoint', error);
      }
    },

    async getCheckpoint(sessionId: string): Promise<Checkpoint | null> {
      if (closed) throw new ClosedError('getCheckpoint');
      assertSessionId(sessionId);
      await yieldIfDue();
      let stored: Awaited<ReturnType<HistoryBackend['readCheckpoint']>>;
      try {
        stored = await backend.readCheckpoint(sessionId);
      } catch (error) {
        throw backendFailure(backend, 'getCheckpoint', error);
      }
      if (!stored) return null;
      return {
        sessionId: stored.sessionId,
        payload: JSON.parse(stored.json),
        createdAt: stored.createdAt,
        ...(stored.seq === undefined || stored.seq === null ? {} : { seq: stored.seq }),
      };
    },

    listSessions(listOptions?: ListSessionsOptions): AsyncIterable<SessionInfo> {
      if (closed) throw new ClosedError('listSessions');
      const request = normalizeListOptions(listOptions);
      return { [Symbol.asyncIterator]: () => listSessionPages(backend, request, isClosed) };
    },

    async getSession(sessionId: string): Promise<SessionInfo | null> {
      if (closed) throw new ClosedError('getSession');
      assertSessionId(sessionId);
      await yieldIfDue();
      try {
        const stored = await backend.getSession(sessionId);
        return stored ? toSessionInfo(stored) : null;
      } catch (error) {
        throw backendFailure(backend, 'getSession', error);
      }
    },

    deleteSession(sessionId: string): Promise<DeleteSessionResult> {
      if (closed) return Promise.reject(new ClosedError('deleteSession'));
      try {
        assertSessionId(sessionId);
      } catch (error) {
        return Promise.reject(error);
      }
      // Ordered in the write queue: after every append made before the call, before any
      // made after it.
      return track(
        writer.runExclusive(async () => {
          try {
            const { deletedEvents } = await backend.deleteSession(sessionId);
            return { deletedEvents };
          } catch (error) {
            throw backendFailure(backend, 'deleteSession', error);
          }
        }),
      );
    },

    purgeExpired(purgeOptions?: PurgeOptions): Promise<PurgeResult> {
      if (closed) return Promise.reject(new ClosedError('purgeExpired'));
      let limit: number;
      try {
        limit = purgeLimitOf(purgeOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      return purge(limit);
    },

    async flush() {
      await writer.flush();
    },

    close() {
      if (!closing) {
        closed = true;
        retention?.stop();
        commits.close();
        closing = (async () => {
          // A purge stops after its current chunk; deletes already queued still run.
          await Promise.allSettled(operations);
          await writer.flush();
          try {
            await backend.close();
          } catch (error) {
            throw backendFailure(backend, 'close', error);
          }
        })();
      }
      return closing;
    },
  };
  return store;
}
