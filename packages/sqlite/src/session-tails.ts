/**
 * A session's seqs past its last sealed block (see `time-blocks.ts`): the only
 * ones `event_ids` does not hold yet, each with its id hash.
 */
export interface SessionTail {
  lastSeq: number;
  /** Whether the session exists (it has had an event since it was created or deleted). */
  live: boolean;
  seqs: number[];
  hashes: number[];
}

/**
 * The write connection's memory of each session's unsealed tail, so an append
 * checks the tail for a duplicate id without a query and takes its seq without
 * `max(seq)`. The writer trusts it only while no other connection has committed
 * (it compares `data_version`) and clears it on rollback. Bounded: past
 * `capacity` sessions, the least recently used is dropped (and re-read from the
 * database, at most 127 index entries, when it is next written).
 */
export class SessionTails {
  private readonly tails = new Map<number, SessionTail>();

  constructor(private readonly capacity: number) {}

  get(sid: number): SessionTail | undefined {
    const tail = this.tails.get(sid);
    if (tail !== undefined) {
      // Map iteration follows insertion order: re-inserting keeps the oldest first.
      this.tails.delete(sid);
      this.tails.set(sid, tail);
    }
    return tail;
  }

  set(sid: number, tail: SessionTail): void {
    this.tails.set(sid, tail);
    if (this.tails.size > this.capacity) {
      this.tails.delete(this.tails.keys().next().value as number);
    }
  }

  delete(sid: number): void {
    this.tails.delete(sid);
  }

  clear(): void {
    this.tails.clear();
  }
}
