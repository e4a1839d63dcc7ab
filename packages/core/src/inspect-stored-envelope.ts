import { InvalidEnvelopeError } from './errors/invalid-envelope-error.js';
import { type PreparedEnvelope, prepareEnvelope } from './prepare-envelope.js';

/** A stored envelope as `append` would have prepared it, or why it is not one. */
export type StoredEnvelopeCheck = { envelope: PreparedEnvelope } | { problem: string };

/**
 * Checks a stored envelope's JSON text the way `append` checked it (`prepareEnvelope`: the
 * same fields, rules and messages), and that it is the event it is stored as: its `id`, and
 * its `sessionId` when it names one (an envelope without one went to the store's default
 * session, whichever that was). The result's `envelope` gives what the backend derives from
 * it (`occurredAtMs`, `expiresAtMs`) to compare with what it stored beside it.
 */
export function inspectStoredEnvelope(
  json: string,
  stored: { id: string; sessionId: string },
): StoredEnvelopeCheck {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { problem: `the envelope does not parse as JSON (${(error as Error).message})` };
  }
  let envelope: PreparedEnvelope;
  try {
    envelope = prepareEnvelope(value, {
      maxEnvelopeBytes: Number.MAX_SAFE_INTEGER,
      defaultSessionId: stored.sessionId,
    });
  } catch (error) {
    if (!InvalidEnvelopeError.isInstance(error)) throw error;
    return { problem: error.message };
  }
  if (envelope.id !== stored.id) {
    return {
      problem: `the envelope's id ${JSON.stringify(envelope.id)} is not the id it is stored under, ${JSON.stringify(stored.id)}`,
    };
  }
  if (envelope.sessionId !== stored.sessionId) {
    return {
      problem: `the envelope names session ${JSON.stringify(envelope.sessionId)}, not the one it is stored in`,
    };
  }
  return { envelope };
}
