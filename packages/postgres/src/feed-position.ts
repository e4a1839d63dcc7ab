/**
 * A feed position: `<tx>.<pos>`, the event's transaction id (xid8, 64 bits) and global sequence
 * number (bigint), in decimal. `0.0` is before every event.
 */
const FORM = /^(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,18})$/;
const MAX_TX = 2n ** 64n - 1n;
const MAX_POS = 2n ** 63n - 1n;

export const FEED_START = { tx: '0', pos: '0' } as const;

/** Whether `position` has the form of one `readFeed` returns, values in range (no I/O). */
export function isFeedPosition(position: string): boolean {
  const match = FORM.exec(position);
  return match !== null && BigInt(match[1]!) <= MAX_TX && BigInt(match[2]!) <= MAX_POS;
}

/** The (tx, pos) of a position checked by `isFeedPosition`, as decimal text for bind parameters. */
export function parseFeedPosition(position: string): { tx: string; pos: string } {
  const dot = position.indexOf('.');
  return { tx: position.slice(0, dot), pos: position.slice(dot + 1) };
}
