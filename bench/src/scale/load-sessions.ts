import type { Envelope } from '@history/core';
import type { AdapterStore } from '../subject.js';
import type { ScaleEvents } from './scale-events.js';
import type { ScaleSizes } from './scale-sizes.js';

/** One wave of the load: its sessions' events, and how long the loaders took over them. */
export interface LoadedWave {
  sessions: number;
  events: number;
  ms: number;
}

/**
 * One loader's share of a wave: its sessions' events interleaved (event 0 of each, then
 * event 1 of each, ...), in `appendMany` calls of `batchSize`, each awaited before the next,
 * so every session's events go in in order.
 */
async function loadShare(
  store: AdapterStore,
  events: ScaleEvents,
  sessions: readonly number[],
  perSession: number,
  batchSize: number,
): Promise<void> {
  let batch: Envelope[] = [];
  for (let index = 0; index < perSession; index++) {
    for (const n of sessions) {
      batch.push(events.event(n, index));
      if (batch.length === batchSize) {
        await store.appendMany(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) await store.appendMany(batch);
}

/**
 * Loads sessions `from` to `to` (exclusive), whole, `waveSessions` at a time: each wave's
 * sessions are dealt to `loaders` concurrent loaders (session n to loader n % loaders), so
 * no two batches in flight share a session. A short wave, if any, goes first: the last one
 * before a checkpoint is whole, as its rate is compared across checkpoints. Reports every
 * wave as it ends.
 */
export async function loadSessions(
  store: AdapterStore,
  events: ScaleEvents,
  sizes: ScaleSizes,
  range: { from: number; to: number },
  onWave: (wave: LoadedWave, loadedSessions: number) => void,
): Promise<LoadedWave[]> {
  const perSession = sizes.events / sizes.sessions;
  const waves: LoadedWave[] = [];
  const short = (range.to - range.from) % sizes.waveSessions;
  for (let first = range.from; first < range.to; ) {
    const end = first === range.from && short > 0 ? first + short : first + sizes.waveSessions;
    const shares = Array.from({ length: sizes.loaders }, () => [] as number[]);
    for (let n = first; n < end; n++) shares[n % sizes.loaders]!.push(n);
    const started = performance.now();
    await Promise.all(
      shares
        .filter((share) => share.length > 0)
        .map((share) => loadShare(store, events, share, perSession, sizes.batchSize)),
    );
    const wave = {
      sessions: end - first,
      events: (end - first) * perSession,
      ms: performance.now() - started,
    };
    waves.push(wave);
    onWave(wave, end);
    first = end;
  }
  return waves;
}
