/**
 * Milliseconds since the epoch with sub-millisecond resolution: comparable between two
 * processes of one machine, where `performance.now()` alone is not (each has its own origin).
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
