import { percentile } from './measure.js';

/**
 * Throughput is measured in a few consecutive rounds and the median round
 * rate is reported: on a shared machine, a burst of someone else's work
 * then skews one round instead of the whole figure.
 */
export const ROUNDS = 4;

/** Splits `items` into `ROUNDS` consecutive, nearly equal parts (empty ones dropped). */
export function splitRounds<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const part = items.slice(
      Math.floor((r * items.length) / ROUNDS),
      Math.floor(((r + 1) * items.length) / ROUNDS),
    );
    if (part.length > 0) out.push(part);
  }
  return out;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median of the rounds' own `p`th percentiles, `rounds` holding each round's samples: a
 * tail figure that one burst of someone else's work in one round does not set.
 */
export function medianRoundPercentile(rounds: readonly (readonly number[])[], p: number): number {
  const each = rounds
    .filter((samples) => samples.length > 0)
    .map((samples) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        p,
      ),
    );
  return Math.round(median(each) * 1000) / 1000;
}
