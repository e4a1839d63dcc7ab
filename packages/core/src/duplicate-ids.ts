import { idHash } from './id-hash.js';

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
    this.hashes[this.length++] = idHash(id);
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
}
