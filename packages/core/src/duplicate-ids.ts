/**
 * Finds ids added more than once with 8 bytes per id: a 53-bit hash of each (cyrb53) in a
 * typed array, sorted at the end. A session of millions of events is checked without a set of
 * its ids. Hashes found twice are candidates: two distinct ids may share a hash (about one
 * chance in 10^8 per pair of sessions of 10^4 events), so the caller compares the ids whose
 * hash is in `repeated()` before it reports a duplicate.
 */
export class DuplicateIds {
  private hashes = new Float64Array(1024);
  private length = 0;

  add(id: string): void {
    if (this.length === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.length++] = DuplicateIds.hash(id);
  }

  /** The hashes added more than once since the last call (usually none); then starts afresh. */
  repeated(): Set<number> {
    const found = new Set<number>();
    const sorted = this.hashes.subarray(0, this.length).sort();
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1]) found.add(sorted[i]!);
    }
    this.length = 0;
    return found;
  }

  /** cyrb53 of `id`: a safe integer. */
  static hash(id: string): number {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }
}
