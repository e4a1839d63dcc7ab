import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Longest stretch of work done in promise continuations (microtasks) before
 * the event loop is let turn. Backends that complete without real I/O (file
 * reads of small sessions, memory) resolve every step at once, so a consumer
 * looping over replays would otherwise never let timers, sockets or V8's
 * incremental garbage collection run: the loop stalls and GC pauses grow.
 */
export const LOOP_BUDGET_MS = 4;

let sliceStarted = 0;
let turnScheduled = false;

function turned(): void {
  turnScheduled = false;
}

/**
 * Resolves at once while the event loop has turned in the last `budgetMs`
 * (`LOOP_BUDGET_MS` by default); otherwise after one macrotask turn. Call it
 * between units of work (a page, a checkpoint) on paths that may complete
 * synchronously; background work (a purge) passes a smaller budget, so that
 * what waits behind it waits less.
 */
export function yieldIfDue(budgetMs = LOOP_BUDGET_MS): Promise<void> | undefined {
  const now = performance.now();
  if (!turnScheduled) {
    // A turn of the loop runs this callback: from then on, a new slice starts.
    turnScheduled = true;
    sliceStarted = now;
    setImmediate(turned);
    return undefined;
  }
  if (now - sliceStarted < budgetMs) return undefined;
  return nextTurn();
}
