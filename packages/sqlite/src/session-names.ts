import type Database from 'better-sqlite3';
import { SQL } from './statements.js';

/** Names remembered per connection; past this many, the cache starts over. */
const CAPACITY = 65_536;

/**
 * sid -> session name for feed pages, so a page of rows from many sessions costs one
 * `session_state` search per session new to this connection instead of one per row. A
 * committed sid never changes name (rows are never deleted; a deleted session keeps its
 * row as a tombstone), so a cached name never goes stale.
 */
export class SessionNames {
  private readonly byName: Database.Statement<[number], string>;
  private readonly names = new Map<number, string>();

  constructor(db: Database.Database) {
    this.byName = db.prepare<[number], string>(SQL.sessionName).pluck();
  }

  get(sid: number): string {
    let name = this.names.get(sid);
    if (name !== undefined) return name;
    name = this.byName.get(sid);
    // events.sid references session_state(sid): only a corrupt database gets here.
    if (name === undefined) throw new Error(`sqlite: no session_state row for sid ${sid}`);
    if (this.names.size >= CAPACITY) this.names.clear();
    this.names.set(sid, name);
    return name;
  }
}
