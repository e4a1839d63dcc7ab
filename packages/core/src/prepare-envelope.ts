import { z } from 'zod';
import type { Envelope } from './envelope.js';
import { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
import { InvalidEnvelopeError } from './errors/invalid-envelope-error.js';
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
  /** The envelope exactly as given, as JSON text. */
  json: string;
  /** UTF-8 byte length of `json`. */
  bytes: number;
}

const identifier = z.string().superRefine((value, ctx) => {
  const problem = identifierProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const envelopeSchema = z.looseObject({
  id: identifier,
  type: identifier,
  payload: z.unknown(),
  occurredAt: z.string(),
  sessionId: identifier.optional(),
  source: identifier.optional(),
  traceId: identifier.optional(),
  ttlMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
});

export interface PrepareOptions {
  maxEnvelopeBytes: number;
  defaultSessionId: string;
  /** Prefix for the field named in errors, e.g. `envelopes[3]`. */
  field?: string;
}

/**
 * Validates and serialises an envelope, or throws a typed error naming the bad field.
 * `index` (position in an `appendMany` call) prefixes the field as `envelopes[i]`; the
 * string is only built on error, as this runs once per event on the hot path.
 */
export function prepareEnvelope(
  envelope: unknown,
  options: PrepareOptions,
  index?: number,
): PreparedEnvelope {
  const prefix = () => (index === undefined ? options.field : `envelopes[${index}]`);
  const at = (name: string) => (prefix() ? `${prefix()}.${name}` : name);
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new InvalidEnvelopeError(
      prefix() ?? 'envelope',
      `expected an object, received ${describe(envelope)}`,
    );
  }
  const parsed = envelopeSchema.safeParse(envelope);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidEnvelopeError(
      at(issue.path.map(String).join('.') || 'envelope'),
      issue.message,
    );
  }
  const value = parsed.data as Envelope;
  if (value.payload === undefined) throw new InvalidEnvelopeError(at('payload'), 'is required');
  if (typeof value.payload === 'function' || typeof value.payload === 'symbol') {
    throw new InvalidEnvelopeError(
      at('payload'),
      `is not JSON-serialisable (${typeof value.payload})`,
    );
  }
  const occurredAtMs = parseIsoTimestamp(value.occurredAt);
  if (occurredAtMs === undefined) {
    throw new InvalidEnvelopeError(
      at('occurredAt'),
      `expected an ISO-8601 timestamp with offset, received ${JSON.stringify(value.occurredAt)}`,
    );
  }
  // Serialise the caller's object, not zod's copy, so key order is kept as given.
  const serialised = toJson(envelope);
  if ('problem' in serialised) {
    const field = Object.keys(value).find(
      (key) => 'problem' in toJson(value[key as keyof Envelope]),
    );
    throw new InvalidEnvelopeError(at(field ?? 'envelope'), serialised.problem);
  }
  const bytes = Buffer.byteLength(serialised.json, 'utf8');
  if (bytes > options.maxEnvelopeBytes) {
    throw new EnvelopeTooLargeError(prefix() ?? 'envelope', bytes, options.maxEnvelopeBytes);
  }
  return {
    id: value.id,
    sessionId: value.sessionId ?? options.defaultSessionId,
    type: value.type,
    occurredAtMs,
    json: serialised.json,
    bytes,
  };
}
