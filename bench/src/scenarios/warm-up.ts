import type { Envelope } from '@history/core';
import type { BenchStore } from '../subject.js';

/**
 * Untimed: every code path once (appendMany, concurrent appends, stream,
 * checkpoints) so JIT compilation, worker start-up and pool connections are
 * not charged to whichever store happens to run first.
 */
export async function warmUp(store: BenchStore, envelopes: readonly Envelope[]): Promise<void> {
  const half = Math.floor(envelopes.length / 2);
  await store.appendMany(envelopes.slice(0, half));
  await Promise.all(envelopes.slice(half).map((e) => store.append(e)));
  const sessionId = envelopes[0]?.sessionId ?? 'default';
  for await (const _ of store.stream(sessionId, { limit: 100 })) {
    // drain
  }
  await store.checkpoint(sessionId, { warm: true });
  await store.getCheckpoint(sessionId);
}
