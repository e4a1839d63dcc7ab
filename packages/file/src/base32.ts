// RFC 4648 alphabet, lowercase and unpadded: safe on case-insensitive file systems.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Lowercase, unpadded base32 of `bytes`. */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Inverse of `encodeBase32`, or `undefined` when `text` is not its output. */
export function decodeBase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = VALUES.get(char);
    if (value === undefined) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >>> bits) & 255);
    }
    buffer &= (1 << bits) - 1;
  }
  // Leftover bits must be the zero padding encodeBase32 adds, or the text was not canonical.
  if (bits >= 5 || buffer !== 0) return undefined;
  return Uint8Array.from(out);
}
