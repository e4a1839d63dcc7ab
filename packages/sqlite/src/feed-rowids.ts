import type Database from 'better-sqlite3';
import { SQL } from './statements.js';

/**
 * Hands out the rowids of new events on one write connection: an event's rowid is its feed
 * position, so none may ever be handed out twice, in any connection or process. SQLite's own
 * choice, max(rowid) + 1, would reuse the rowids of rows a delete or purge removed from the
 * top of the table; `removing` keeps them in `feed_state.high_water` instead (migration
 * 0005), and `next` counts on from the larger of the two. Every method runs inside a write
 * transaction (the write lock), so two connections never hand out the same rowid.
 */
export class FeedRowids {
  private readonly rowidBounds: Database.Statement<[], [number | null, number]>;
  private readonly maxRowid: Database.Statement<[], number | null>;
  private readonly raiseHighWater: Database.Statement<[number]>;
  /**
   * The last rowid handed out, as this connection knows it: trusted only while no other
   * connection committed (the writer calls `forget` when `data_version` moved), so an append
   * costs no query; after another connection's commit, one read of two b-tree ends.
   */
  private last: number | undefined;

  constructor(db: Database.Database) {
    this.rowidBounds = db.prepare<[], [number | null, number]>(SQL.rowidBounds).raw();
    this.maxRowid = db.prepare<[], number | null>(SQL.maxRowid).pluck();
    this.raiseHighWater = db.prepare<[number]>(SQL.raiseHighWater);
  }

  next(): number {
    if (this.last === undefined) {
      const [maxRowid, highWater] = this.rowidBounds.get()!;
      this.last = Math.max(maxRowid ?? 0, highWater);
    }
    return ++this.last;
  }

  /** Another connection committed, or this one rolled back: read the last rowid again. */
  forget(): void {
    this.last = undefined;
  }

  /**
   * Runs a removal of events; when it took the table's highest rowid, records that rowid as
   * the high-water mark in the same transaction (two reads of the b-tree's end otherwise).
   */
  removing<T>(remove: () => T): T {
    const before = this.maxRowid.get() ?? 0;
    const result = remove();
    if ((this.maxRowid.get() ?? 0) < before) this.raiseHighWater.run(before);
    return result;
  }
}
