/**
 * The sparse time index (migration 0002): one `time_blocks` row per sealed
 * block of `TIME_BLOCK` seqs of a session, holding the block's earliest and
 * latest `occurred_at_ms`. A block is sealed in the transaction that stores
 * its last seq. A time-range read walks (sid, seq) run by run, skipping the
 * sealed blocks whose bounds miss the range; a block without a row (the
 * session's last, or one a writer of an older version stored) is always read.
 */
export const TIME_BLOCK = 128;

/** Largest block number a backward walk starts from when it has no cursor. */
const LAST_BLOCK = Number.MAX_SAFE_INTEGER;

export interface TimeBlockRow {
  block: number;
  min_ms: number;
  max_ms: number;
}

/** Seqs `lo..hi` (inclusive; `hi` may be infinite) that may hold events of the range. */
export interface SeqRun {
  lo: number;
  hi: number;
}

/** The sealed blocks of the session from `block` on, in walk order. */
export type BlocksFrom = (block: number) => Iterable<TimeBlockRow>;

const overlaps = (b: TimeBlockRow, fromMs: number, toMs: number) =>
  b.max_ms >= fromMs && b.min_ms <= toMs;

/** The first run after seq `cursor` (the last seq passed; 0 at the start), walking forward. */
export function nextRunForward(
  blocksFrom: BlocksFrom,
  cursor: number,
  fromMs: number,
  toMs: number,
): SeqRun {
  let expected = Math.floor(cursor / TIME_BLOCK);
  let start: number | undefined;
  for (const b of blocksFrom(expected)) {
    if (b.block > expected) start ??= expected; // unsealed blocks before this one
    if (overlaps(b, fromMs, toMs)) start ??= b.block;
    else if (start !== undefined) {
      return { lo: Math.max(cursor + 1, start * TIME_BLOCK + 1), hi: b.block * TIME_BLOCK };
    }
    expected = b.block + 1;
  }
  start ??= expected; // the unsealed tail
  return { lo: Math.max(cursor + 1, start * TIME_BLOCK + 1), hi: Number.POSITIVE_INFINITY };
}

/**
 * The first run below seq `cursor` (exclusive; infinite at the start), walking
 * backward, or `undefined` when no seq below it can match.
 */
export function nextRunBackward(
  blocksFrom: BlocksFrom,
  cursor: number,
  fromMs: number,
  toMs: number,
): SeqRun | undefined {
  if (cursor <= 1) return undefined;
  const top = Number.isFinite(cursor) ? Math.floor((cursor - 2) / TIME_BLOCK) : LAST_BLOCK;
  let expected = top;
  let start: number | undefined;
  const hi = (block: number) =>
    block === LAST_BLOCK ? cursor - 1 : Math.min(cursor - 1, (block + 1) * TIME_BLOCK);
  for (const b of blocksFrom(top)) {
    if (b.block < expected) start ??= expected; // unsealed blocks above this one
    if (overlaps(b, fromMs, toMs)) start ??= b.block;
    else if (start !== undefined) return { lo: (b.block + 1) * TIME_BLOCK + 1, hi: hi(start) };
    expected = b.block - 1;
  }
  if (expected >= 0) start ??= expected; // unsealed blocks down to the first
  return start === undefined ? undefined : { lo: 1, hi: hi(start) };
}
