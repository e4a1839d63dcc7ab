import { describe, expect, it } from 'vitest';
import { inspectStoredEnvelope } from '../src/inspect-stored-envelope.js';

const stored = { id: 'e1', sessionId: 's1' };
const json = (fields: Record<string, unknown>) =>
  JSON.stringify({
    id: 'e1',
    type: 'user',
    payload: { text: 'hi' },
    occurredAt: '2026-01-01T00:00:00.000+01:00',
    ...fields,
  });

describe('inspectStoredEnvelope', () => {
  it('gives what append derived from a valid envelope', () => {
    const checked = inspectStoredEnvelope(json({ sessionId: 's1', ttlMs: 1000 }), stored);
    expect(checked).toMatchObject({
      envelope: {
        id: 'e1',
        sessionId: 's1',
        occurredAtMs: Date.UTC(2025, 11, 31, 23),
        expiresAtMs: Date.UTC(2025, 11, 31, 23) + 1000,
      },
    });
    // Without a sessionId it belongs to whichever session it is stored in.
    expect(inspectStoredEnvelope(json({}), stored)).toHaveProperty('envelope.sessionId', 's1');
  });

  it('says why text is not a stored envelope', () => {
    const problem = (text: string) =>
      (inspectStoredEnvelope(text, stored) as { problem?: string }).problem;
    expect(problem('{"id":')).toMatch(/^the envelope does not parse as JSON \(/);
    expect(problem('[1]')).toBe('Invalid envelope: envelope: expected an object, received array');
    expect(problem(json({ occurredAt: '2026-02-30T00:00:00Z' }))).toMatch(
      /^Invalid envelope: occurredAt: expected an ISO-8601 timestamp/,
    );
    expect(problem(json({ payload: undefined }))).toBe('Invalid envelope: payload: is required');
    expect(problem(json({ id: 'e2' }))).toBe(
      `the envelope's id "e2" is not the id it is stored under, "e1"`,
    );
    expect(problem(json({ sessionId: 's2' }))).toBe(
      'the envelope names session "s2", not the one it is stored in',
    );
  });
});
