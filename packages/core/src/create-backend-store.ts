import { backendFailure } from './backend-failure.js';
import { BatchWriter } from './batch-writer.js';
import { ClosedError } from './errors/closed-error.js';
import { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { HistoryBackend } from './history-backend.js';
import { normalizeRange } from './history-range.js';
import type {
  AppendResult,
  Checkpoint,
  CheckpointOptions,
  HistoryRange,
  HistoryRecord,
  HistoryStore,
} from './history-store.js';
import { assertSessionId, describe } from './identifier.js';
import { yieldIfDue } from './loop-budget.js';
import { type PreparedEnvelope, prepareEnvelope } from './prepare-envelope.js';
import { RecordIterator } from './record-iterator.js';
import type { ResolvedStoreOptions } from './store-options.js';
import { toJson } from './to-json.js';

const first = (results: AppendResult[]) => results[0]!;

const BACKEND_METHODS = [
  'writeBatch',
  'readPages',
  'writeCheckpoint',
  'readCheckpoint',
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
  const writer = new BatchWriter({
    ...options,
    name: backend.name,
    writeBatch: (records) => backend.writeBatch(records),
    isTransient: backend.isTransient?.bind(backend),
    failedSession: backend.failedSession?.bind(backend),
  });
  const prepareOptions = {
    maxEnvelopeBytes: options.maxEnvelopeBytes,
    defaultSessionId: options.defaultSessionId,
  };
  let closed = false;
  let closing: Promise<void> | undefined;

  const store: HistoryStore = {
    // Not an async function: on the hottest path, one promise per append instead of two.
    append(envelope) {
      if (closed) return Promise.reject(new ClosedError('append'));
      let prepared: PreparedEnvelope;
      try {
        prepared = prepareEnvelope(envelope, prepareOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      return writer.enqueue([prepared]).then(first);
    },

    async appendMany(envelopes) {
      if (closed) throw new ClosedError('appendMany');
      if (!Array.isArray(envelopes)) {
        throw new InvalidArgumentError(
          'envelopes',
          `expected an array, received ${describe(envelopes)}`,
        );
      }
      const prepared = envelopes.map((e, i) => prepareEnvelope(e, prepareOptions, i));
      return writer.enqueue(prepared);
    },

    stream(sessionId: string, range?: HistoryRange): AsyncIterable<HistoryRecord> {
      if (closed) throw new ClosedError('stream');
      assertSessionId(sessionId);
      const normalized = normalizeRange(range);
      return {
        [Symbol.asyncIterator]: () =>
          new RecordIterator(
            () => backend.readPages(sessionId, normalized),
            normalized.limit,
            () => closed,
            (error) => backendFailure(backend, 'stream', error),
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
        seq = opts.seq;
        if (seq !== undefined && (!Number.isSafeInteger(seq) || seq < 0)) {
          throw new InvalidArgumentError('opts.seq', 'expected a non-negative safe integer');
        }
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

    async flush() {
      await writer.flush();
    },

    close() {
      if (!closing) {
        closed = true;
        closing = writer.flush().then(() =>
          backend.close().catch((error: unknown) => {
            throw backendFailure(backend, 'close', error);
          }),
        );
      }
      return closing;
    },
  };
  return store;
}
