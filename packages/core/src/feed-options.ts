import { nonNegativeInteger, optionsRecord } from './call-options.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { type FollowOptions, followOptions } from './follow-options.js';
import { describe } from './identifier.js';

/** A validated `FeedOptions`. */
export interface NormalizedFeedOptions extends FollowOptions {
  after?: string;
  limit?: number;
}

const KEYS = new Set(['after', 'limit', 'follow', 'signal']);
/** Longer than any position a backend returns: refused before it reaches one. */
const MAX_POSITION_LENGTH = 256;

/**
 * Validates `feed`'s options argument, or throws `InvalidArgumentError` naming the field.
 * `isPosition` is the backend's check of a position's form.
 */
export function normalizeFeedOptions(
  options: unknown,
  isPosition: (position: string) => boolean,
): NormalizedFeedOptions {
  const o = optionsRecord(options, 'options', KEYS);
  const out: NormalizedFeedOptions = followOptions(o?.follow, o?.signal, 'options');
  const limit = nonNegativeInteger(o?.limit, 'options.limit');
  if (limit !== undefined) out.limit = limit;
  const after = o?.after;
  if (after !== undefined) {
    if (typeof after !== 'string') {
      throw new InvalidArgumentError(
        'options.after',
        `expected a position string, received ${describe(after)}`,
      );
    }
    if (after.length > MAX_POSITION_LENGTH || !isPosition(after)) {
      throw new InvalidArgumentError('options.after', 'is not a position this store returned');
    }
    out.after = after;
  }
  return out;
}
