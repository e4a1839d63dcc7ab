/**
 * Orders session ids as every backend does: by Unicode code point, which is the byte
 * order of their UTF-8 (SQLite's BINARY collation, PostgreSQL's "C"). `<` on strings
 * compares UTF-16 units instead, and puts U+E000..U+FFFF after the astral planes.
 */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
