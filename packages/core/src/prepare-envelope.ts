import { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
import { InvalidEnvelopeError } from './errors/invalid-envelope-error.js';
import { expiryOf } from './expiry.js';
import { describe, identifierProblem } from './identifier.js';
import { parseIsoTimestamp } from './iso-timestamp.js';
import { toJson } from './to-json.js';

/** A validated envelope, serialised once, ready for a backend's `writeBatch`. */
export interface PreparedEnvelope {
  id: string;
  sessionId: string;
  type: string;
  /** `occurredAt` as milliseconds since the epoch, for range filters. */
  occurredAtMs: number;
  /** `occurredAtMs + ttlMs` when the envelope has a `ttlMs`: expired from that instant on. */
  expiresAtMs?: number;
  /** The envelope exactly as validated, as JSON text. */
  json: string;
  /** UTF-8 byte length of `json`. */
  bytes: number;
}

export interface PrepareOptions {
  maxEnvelopeBytes: number;
  defaultSessionId: string;
  /** Prefix for the field named in errors, e.g. `envelopes[3]`. */
  field?: string;
}

const IDENTIFIERS = ['id', 'type'] as const;
const OPTIONAL_IDENTIFIERS = ['sessionId', 'source', 'traceId'] as const;

/** Thrown inside `prepareEnvelope`, turned into an `InvalidEnvelopeError` with the full field path. */
class Problem {
  constructor(
    readonly field: string,
    readonly message: string,
    readonly cause?: unknown,
  ) {}
}

/**
 * Validates and serialises an envelope, or throws a typed error naming the bad field.
 *
 * One snapshot is validated and serialised: the envelope's own enumerable
 * properties, each read exactly once (a getter runs once, a Proxy trap is asked
 * once; inherited properties play no part, and a property holding a function,
 * such as an own `toJSON`, is refused). A top-level value with a `toJSON`
 * method is replaced by its result before validation, as JSON.stringify would.
 * What is stored is therefore exactly what was checked. Hand-written rather than a
 * schema library: this runs once per appended event, on the caller's thread.
 * `index` (position in an `appendMany` call) prefixes the field as `envelopes[i]`;
 * the string is only built on error.
 */
export function prepareEnvelope(
  envelope: unknown,
  options: PrepareOptions,
  index?: number,
): PreparedEnvelope {
  try {
    return prepare(envelope, options);
  } catch (error) {
    const prefix = index === undefined ? options.field : `envelopes[${index}]`;
    if (error instanceof Problem) {
      const field = error.field === '' ? (prefix ?? 'envelope') : join(prefix, error.field);
      throw new InvalidEnvelopeError(field, error.message, { cause: error.cause });
    }
    if (EnvelopeTooLargeError.isInstance(error)) {
      throw new EnvelopeTooLargeError(prefix ?? 'envelope', error.bytes, error.limit);
    }
    // A getter or Proxy trap that throws: still the caller's bad input, not a crash.
    throw new InvalidEnvelopeError(
      prefix ?? 'envelope',
      `could not be read (${(error as Error)?.message ?? String(error)})`,
      { cause: error },
    );
  }
}

function join(prefix: string | undefined, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}

function prepare(envelope: unknown, options: PrepareOptions): PreparedEnvelope {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new Problem('', `expected an object, received ${describe(envelope)}`);
  }
  const source = envelope as Record<string, unknown>;
  let snapshot: Record<string, unknown>;
  try {
    // Spread reads each own enumerable property once (getters and Proxy traps included) into
    // a plain object; V8 makes it several times cheaper than copying key by key.
    snapshot = { ...source };
  } catch (error) {
    throw new Problem(
      unreadableField(source),
      `could not be read (${(error as Error)?.message ?? String(error)})`,
      error,
    );
  }
  // A plain object with Object.prototype: for-in sees its own keys only.
  for (const key in snapshot) {
    let value = snapshot[key];
    const kind = typeof value;
    if (kind === 'object') {
      // What JSON.stringify would do, done once here so the snapshot is what gets stored.
      if (value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        value = (value as { toJSON(key: string): unknown }).toJSON(key);
        if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
          throw new Problem(key, 'is not JSON-serialisable (its toJSON() returned no JSON value)');
        }
        snapshot[key] = value;
      }
    } else if (kind === 'function' || kind === 'symbol') {
      throw new Problem(key, `is not JSON-serialisable (${kind})`);
    }
  }

  for (const field of IDENTIFIERS) {
    const problem = identifierProblem(snapshot[field]);
    if (problem) throw new Problem(field, problem);
  }
  for (const field of OPTIONAL_IDENTIFIERS) {
    const value = snapshot[field];
    if (value === undefined) continue;
    const problem = identifierProblem(value);
    if (problem) throw new Problem(field, problem);
  }
  const payload = snapshot.payload;
  if (payload === undefined) throw new Problem('payload', 'is required');
  const occurredAt = snapshot.occurredAt;
  if (typeof occurredAt !== 'string') {
    throw new Problem('occurredAt', `expected a string, received ${describe(occurredAt)}`);
  }
  const occurredAtMs = parseIsoTimestamp(occurredAt);
  if (occurredAtMs === undefined) {
    throw new Problem(
      'occurredAt',
      `expected an ISO-8601 timestamp with offset between years 0001 and 9999 UTC, received ${JSON.stringify(occurredAt)}`,
    );
  }
  const ttlMs = snapshot.ttlMs;
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && (ttlMs as number) >= 0)) {
    throw new Problem('ttlMs', 'expected a non-negative safe integer');
  }
  const headers = snapshot.headers;
  if (
    headers !== undefined &&
    (typeof headers !== 'object' || headers === null || Array.isArray(headers))
  ) {
    throw new Problem('headers', `expected an object, received ${describe(headers)}`);
  }

  let json: string | undefined;
  try {
    json = JSON.stringify(snapshot);
  } catch (error) {
    throw new Problem(
      unserialisableField(snapshot),
      `is not JSON-serialisable (${(error as Error).message})`,
      error,
    );
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > options.maxEnvelopeBytes) {
    throw new EnvelopeTooLargeError('envelope', bytes, options.maxEnvelopeBytes);
  }
  return {
    id: snapshot.id as string,
    sessionId: (snapshot.sessionId as string | undefined) ?? options.defaultSessionId,
    type: snapshot.type as string,
    occurredAtMs,
    // Always present (undefined without a ttl): one object shape on the hot path.
    expiresAtMs: expiryOf(occurredAtMs, ttlMs as number | undefined),
    json,
    bytes,
  };
}

/** The property whose read throws (only called once reading the envelope failed), or ''. */
function unreadableField(source: Record<string, unknown>): string {
  try {
    for (const key of Object.keys(source)) {
      try {
        void source[key];
      } catch {
        return key;
      }
    }
  } catch {
    // The key list itself cannot be read (a Proxy's ownKeys trap): the envelope as a whole.
  }
  return '';
}

/** The field whose value JSON.stringify refuses (BigInt, a cycle); only called on failure. */
function unserialisableField(snapshot: Record<string, unknown>): string {
  for (const key of Object.keys(snapshot)) {
    if ('problem' in toJson(snapshot[key] ?? null)) return key;
  }
  return '';
}
