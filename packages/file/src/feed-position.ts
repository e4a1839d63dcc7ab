/**
 * Whether `position` has the form of a feed position of this store: the decimal form of a
 * safe integer (no sign, no leading zero, no exponent), `0` being before every record.
 */
export function isFeedPosition(position: string): boolean {
  return /^(0|[1-9][0-9]{0,15})$/.test(position) && Number.isSafeInteger(Number(position));
}
