const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (fractions allowed), as SQLite's own busy handler does. */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
