import type Database from 'better-sqlite3';
import { type PageShape, pageSql, SQL } from './schema.js';
import type { CheckpointRow, PageResult, ReadCheckpointTask, ReadPageTask } from './tasks.js';

/** A page row in `raw` mode: [seq, id, createdAtMs, json]. */
type PageRow = [number, string, number, string];

/**
 * Serves whole pages from its own connection (read-only on reader threads).
 * Each page is one short query: no cursor outlives a task, so a consumer
 * that stops iterating leaves nothing open.
 */
export class SqliteReader {
  private readonly db: Database.Database;
  private readonly findSession: Database.Statement<[string], { sid: number }>;
  private readonly readCheckpointStmt: Database.Statement<[string], CheckpointRow>;
  private readonly pages = new Map<number, Database.Statement<number[], PageRow>>();

  constructor(db: Database.Database) {
    this.db = db;
    this.findSession = db.prepare(SQL.findSession);
    this.readCheckpointStmt = db.prepare(SQL.readCheckpoint);
  }

  /**
   * Asks for one row more than `limit`: it tells whether another page follows, so a
   * session that ends on a page boundary costs no trailing empty query. Rows are stepped
   * one at a time and the page ends before the row that would take it past `maxBytes`:
   * a session of large envelopes never loads `limit` of them at once. That row is read
   * and dropped (the next page starts with it): on a reader thread, cheaper than the
   * consumer's parse of the page.
   */
  readPage(task: ReadPageTask): PageResult {
    const session = this.findSession.get(task.sessionId);
    const rows: PageRow[] = [];
    let more = false;
    if (session) {
      let bytes = 0;
      for (const row of this.page(task).iterate(...this.params(session.sid, task))) {
        const rowBytes = row[3].length;
        if (rows.length === task.limit || (rows.length > 0 && bytes + rowBytes > task.maxBytes)) {
          more = true;
          break; // ends the iterator, which resets the statement
        }
        rows.push(row);
        bytes += rowBytes;
      }
    }
    const n = rows.length;
    const seqs = new Float64Array(n);
    const createdAtMs = new Float64Array(n);
    const ids = new Array<string>(n);
    const jsons = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      seqs[i] = row[0];
      ids[i] = row[1];
      createdAtMs[i] = row[2];
      jsons[i] = row[3];
    }
    return { seqs, ids, createdAtMs, jsons, more };
  }

  readCheckpoint(task: ReadCheckpointTask): CheckpointRow | null {
    return this.readCheckpointStmt.get(task.sessionId) ?? null;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private page(task: ReadPageTask): Database.Statement<number[], PageRow> {
    const shape: PageShape = {
      backward: task.backward,
      after: task.after !== undefined,
      from: task.fromMs !== undefined,
      to: task.toMs !== undefined,
    };
    const key =
      (+shape.backward << 0) | (+shape.after << 1) | (+shape.from << 2) | (+shape.to << 3);
    let stmt = this.pages.get(key);
    if (!stmt) {
      stmt = this.db.prepare<number[], PageRow>(pageSql(shape)).raw(true);
      this.pages.set(key, stmt);
    }
    return stmt;
  }

  private params(sid: number, task: ReadPageTask): number[] {
    const params = [sid];
    if (task.after !== undefined) params.push(task.after);
    if (task.fromMs !== undefined) params.push(task.fromMs);
    if (task.toMs !== undefined) params.push(task.toMs);
    params.push(task.limit + 1);
    return params;
  }
}
