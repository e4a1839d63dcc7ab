import type { Envelope } from '@history/core';

/** About 120 characters: with the envelope's other fields, about 300 B of JSON. */
const TEXT =
  'ran the tests again after the patch; two still fail on the session index, looking at the writer next';

/**
 * A small event for the lifecycle scenario, which holds up to a million at once: the
 * transcript workload's 630 B mean (and its 20-50 KB tail) would take more than a gigabyte
 * in the memory store, and a purge's or a listing's cost is per event and per session,
 * not per byte.
 */
export function smallEnvelope(
  sessionId: string,
  index: number,
  occurredAtMs: number,
  ttlMs?: number,
): Envelope {
  return {
    id: `${sessionId}:${index.toString(36)}`,
    sessionId,
    type: 'assistant.message',
    occurredAt: new Date(occurredAtMs).toISOString(),
    source: 'agent',
    ...(ttlMs === undefined ? {} : { ttlMs }),
    payload: { role: 'assistant', text: TEXT, tokens: 40 + (index % 200) },
  };
}
