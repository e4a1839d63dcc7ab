import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32 } from '../src/base32.js';
import { SEGMENT_CHARS, sessionIdFromSegments, sessionSegments } from '../src/session-path.js';

const hostile = [
  '../../etc/passwd',
  '/',
  '\\',
  '..',
  '.',
  'CON',
  'con',
  'aux.txt',
  'COM1',
  'lpt9.log',
  'a/b\\c:d*e?f"g<h>i|j',
  ' trailing space ',
  'trailing dot.',
  'Ünïcödé 🎉 日本語',
  'x'.repeat(512),
  '€'.repeat(170), // 510 UTF-8 bytes
  '🎉'.repeat(128), // 512 UTF-8 bytes
];

describe('session id ↔ path segments', () => {
  it('round-trips base32 for every byte length', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 255);
      const text = encodeBase32(bytes);
      expect(text).toMatch(/^[a-z2-7]*$/);
      expect(decodeBase32(text)).toEqual(bytes);
    }
    expect(decodeBase32('A')).toBeUndefined(); // upper case is not ours
    expect(decodeBase32('ab')).toBeUndefined(); // non-zero padding bits: not canonical
  });

  it('maps hostile ids to safe, short, lowercase names and back', () => {
    for (const id of hostile) {
      const segments = sessionSegments(id);
      for (const segment of segments) {
        expect(segment).toMatch(/^s[a-z2-7]+$/);
        expect(Buffer.byteLength(segment) + '.checkpoint.json.99999-99999.tmp'.length).toBeLessThan(
          255,
        );
      }
      expect(segments.slice(0, -1).every((s) => s.length === SEGMENT_CHARS + 1)).toBe(true);
      expect(sessionIdFromSegments(segments)).toBe(id);
    }
  });

  it('keeps ids that differ only by case (or Unicode normalisation) apart', () => {
    const ids = ['Session', 'session', 'SESSION', 'é', 'e\u0301', 'K', '\u212a' /* Kelvin sign */];
    const paths = ids.map((id) => sessionSegments(id).join('/'));
    expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(ids.length);
  });

  it('rejects names that no id encodes', () => {
    expect(sessionIdFromSegments([])).toBeUndefined();
    expect(sessionIdFromSegments(['xabc'])).toBeUndefined();
    expect(sessionIdFromSegments(['s'])).toBeUndefined();
    expect(sessionIdFromSegments(['sabc', 'sdef'])).toBeUndefined(); // a short directory segment
    expect(sessionIdFromSegments([`s${'7'.repeat(8)}`])).toBeUndefined(); // bytes that are not UTF-8
  });
});
