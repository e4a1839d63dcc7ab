import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { type FollowOptions, followOptions } from './follow-options.js';
import { type NormalizedRange, normalizeRange } from './history-range.js';

/** A validated `StreamOptions`: the range the backend reads, and how the stream runs. */
export interface NormalizedStreamOptions extends FollowOptions {
  range: NormalizedRange;
}

/** Validates `stream`'s options argument, or throws `InvalidArgumentError` naming the field. */
export function normalizeStreamOptions(options: unknown, field = 'range'): NormalizedStreamOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    // normalizeRange says what is wrong with it (or accepts `undefined`).
    return { range: normalizeRange(options, field), follow: false };
  }
  const { follow, signal, ...rest } = options as Record<string, unknown>;
  const how = followOptions(follow, signal, field);
  const range = normalizeRange(rest, field);
  if (how.follow && range.direction === 'backward') {
    throw new InvalidArgumentError(
      `${field}.follow`,
      "cannot follow a stream read with direction 'backward'",
    );
  }
  return { range, ...how };
}
