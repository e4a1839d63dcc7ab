/** The largest Unicode code point; nothing sorts after it in a code point. */
const MAX_CODE_POINT = 0x10ffff;
const FIRST_SURROGATE = 0xd800;
const AFTER_SURROGATES = 0xe000;

/**
 * The smallest string greater, in code point order (= UTF-8 byte order, SQLite's BINARY
 * collation), than every string starting with `prefix`, or `undefined` when none is
 * (a prefix of U+10FFFF only). So `name >= prefix AND name < bound` is "starts with
 * prefix" as an index range: the prefix's last code point that can be incremented is.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < MAX_CODE_POINT) {
      // No valid string holds a surrogate code point: the next one is U+E000.
      const next = last + 1 === FIRST_SURROGATE ? AFTER_SURROGATES : last + 1;
      return String.fromCodePoint(...points, next);
    }
  }
  return undefined;
}

/** Compares two strings in UTF-8 byte order (not JavaScript's UTF-16 `<`). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
