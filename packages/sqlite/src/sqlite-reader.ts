import type Database from 'better-sqlite3';
import { type PageShape, pageSql, SQL } from './schema.js';
import type { CheckpointRow, PageResult, ReadCheckpointTask, ReadPageTask } from './tasks.js';

interface PageRow {
  seq: number;
  id: string;
  createdAtMs: number;
  json: string;
}

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

  readPage(task: ReadPageTask): PageResult {
    const session = this.findSession.get(task.sessionId);
    const rows = session ? this.page(task).all(...this.params(session.sid, task)) : [];
    const n = rows.length;
    const seqs = new Float64Array(n);
    const createdAtMs = new Float64Array(n);
    const ids = new Array<string>(n);
    const jsons = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      seqs[i] = row.seq;
      createdAtMs[i] = row.createdAtMs;
      ids[i] = row.id;
      jsons[i] = row.json;
    }
    return { seqs, ids, createdAtMs, jsons };
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
      stmt = this.db.prepare(pageSql(shape));
      this.pages.set(key, stmt);
    }
    return stmt;
  }

  private params(sid: number, task: ReadPageTask): number[] {
    const params = [sid];
    if (task.after !== undefined) params.push(task.after);
    if (task.fromMs !== undefined) params.push(task.fromMs);
    if (task.toMs !== undefined) params.push(task.toMs);
    params.push(task.limit);
    return params;
  }
}
