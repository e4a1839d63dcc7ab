import type { Envelope } from '@history/core';
import type { BenchStore } from '../subject.js';

/**
 * Untimed: every code path once (appendMany, concurrent appends, stream,
 * checkpoints) so JIT compilation, worker start-up and pool connections are
 * not charged to whichever store happens to run first.
 */
export async function warmUp(
  store: BenchStore,
  envelopes: readonly Envelope[],
  bulk: readonly Envelope[] = [],
): Promise<void> {
  // Bulk calls of the ingest shape first: the first measured phase is bulk ingest, and it
  // should not pay for compiling the store's write path.
  for (let i = 0; i < bulk.length; i += 1000) await store.appendMany(bulk.slice(i, i + 1000));
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
