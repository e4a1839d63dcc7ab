import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import {
  allPageShapes,
  allSessionPageShapes,
  pageSql,
  SQL,
  sessionPageSql,
} from '../src/statements.js';
import { tempDb } from './temp-db.js';

/** The plan's detail lines, e.g. `SEARCH events USING INDEX ...`. */
function plan(db: Database.Database, sql: string, params: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
    (row) => row.detail,
  );
}

describe('query plans', () => {
  const tmp = tempDb();
  let db: Database.Database;

  beforeAll(() => {
    db = new Database(tmp.filename);
    migrate(db);
    // Enough rows, and ANALYZE, so the planner chooses as it would in production.
    const insertSession = db.prepare('INSERT INTO session_state (name) VALUES (?)');
    const insert = db.prepare(
      'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let s = 1; s <= 20; s++) {
        insertSession.run(`session-${s}`);
        for (let q = 1; q <= 500; q++) insert.run(s, q, s * 1000 + q, `id-${q}`, q * 1000, 0, '{}');
      }
    })();
    // Some events with a ttl, so expiries has rows and statistics.
    db.exec('UPDATE events SET expires_at_ms = seq * 1000 WHERE seq % 10 = 0');
    db.exec(
      'INSERT INTO expiries SELECT expires_at_ms, pos FROM events WHERE expires_at_ms IS NOT NULL',
    );
    db.exec('ANALYZE');
  });
  afterAll(() => {
    db.close();
    tmp.cleanup();
  });

  const noTableScan = (lines: string[]) => {
    expect(lines.join('\n')).not.toMatch(/SCAN (events|session_state|checkpoints)\b/);
    expect(lines.join('\n')).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  };

  it.each(allPageShapes())('stream page %o searches an index, never scans events', (shape) => {
    const params = [1];
    if (shape.after) params.push(250);
    if (shape.until) params.push(shape.backward ? 100 : 400);
    if (shape.from) params.push(10_000);
    if (shape.to) params.push(400_000);
    params.push(Date.now(), 1000);
    const lines = plan(db, pageSql(shape), params);
    noTableScan(lines);
    // Never the partial expiry index: the expiry filter is a row filter of the seq walk.
    expect(lines).toEqual([
      expect.stringMatching(/^SEARCH events USING INDEX events_by_seq \(sid=\?/),
    ]);
  });

  it('forward and backward pages walk the (sid, seq) index, in order', () => {
    for (const backward of [false, true]) {
      const lines = plan(
        db,
        pageSql({ backward, after: true, until: false, from: false, to: false }),
        [1, 10, Date.now(), 100],
      );
      expect(lines.join('\n')).toMatch(
        /SEARCH events USING INDEX events_by_seq \(sid=\? AND seq[<>]\?\)/,
      );
    }
  });

  it('has no COALESCE in any statement', () => {
    for (const sql of [...Object.values(SQL), ...allPageShapes().map(pageSql)]) {
      expect(sql.toUpperCase()).not.toContain('COALESCE');
    }
  });

  it.each([
    ['readCheckpoint', SQL.readCheckpoint, ['session-1']],
    ['findSession', SQL.findSession, ['session-1']],
    ['maxSeq', SQL.maxSeq, [1]],
    ['tailRows', SQL.tailRows, [1, 384]],
    ['idAt', SQL.idAt, [1, 7]],
    ['findSealedDuplicate', SQL.findSealedDuplicate, [1, 1001, 'id-1']],
    ['sealEventIds', SQL.sealEventIds, [1, 0, 128]],
    ['sealTimeBlock', SQL.sealTimeBlock, [1, 0, 1, 0, 128]],
    ['timeBlocksForward', SQL.timeBlocksForward, [1, 0]],
    ['timeBlocksBackward', SQL.timeBlocksBackward, [1, 3]],
    ['sessionState', SQL.sessionState, [1]],
    ['markLive', SQL.markLive, [0, 1]],
    ['sessionByName', SQL.sessionByName, ['session-1']],
    ['lastEvent', SQL.lastEvent, [1]],
    ['deleteEvents', SQL.deleteEvents, [1]],
    ['deleteEventIds', SQL.deleteEventIds, [1]],
    ['deleteTimeBlocks', SQL.deleteTimeBlocks, [1]],
    ['deleteCheckpoint', SQL.deleteCheckpoint, [1]],
    ['tombstone', SQL.tombstone, [5, 5, 1]],
    ['expiredEvents', SQL.expiredEvents, [Date.now(), 1000]],
    ['expiredInSession', SQL.expiredInSession, [1, 1, 513, Date.now(), 100]],
    ['liveSessionsAfter', SQL.liveSessionsAfter, [0, 256]],
    ['oldestEvents', SQL.oldestEvents, [1, 100]],
    ['oldEventsInRun', SQL.oldEventsInRun, [1, 0, 128, 5000, 100]],
    ['deleteEvent', SQL.deleteEvent, [7, 1, 7]],
    ['purgeState', SQL.purgeState, [1]],
    ['deleteEventId', SQL.deleteEventId, [1, 1001, 1]],
    ['recordPurge', SQL.recordPurge, [5, 0, 1, 1]],
  ] as const)('%s uses an index', (_name, sql, params) => {
    const lines = plan(db, sql, [...params]);
    noTableScan(lines);
    expect(lines.every((l) => l.startsWith('SEARCH'))).toBe(true);
  });

  it('a feed page is a range of the table b-tree in rowid order, names searched by sid', () => {
    expect(plan(db, SQL.feedPage, [2500, 2000])).toEqual([
      'SEARCH events USING INTEGER PRIMARY KEY (rowid>?)',
    ]);
    expect(plan(db, SQL.sessionName, [3])).toEqual([
      'SEARCH session_state USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
  });

  it("the next rowid's bounds and the high-water mark are single-row searches", () => {
    // `SEARCH events` without an index: max(rowid) steps to the table b-tree's last entry.
    expect(plan(db, SQL.maxRowid, [])).toEqual(['SEARCH events']);
    expect(plan(db, SQL.rowidBounds, [])).toEqual([
      'SCAN CONSTANT ROW',
      'SCALAR SUBQUERY 1',
      'SEARCH events',
      'SCALAR SUBQUERY 2',
      'SEARCH feed_state USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
    expect(plan(db, SQL.raiseHighWater, [1])).toEqual([
      'SEARCH feed_state USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
  });

  it("time-range pages walk the (sid, seq) index between a run's bounds", () => {
    for (const backward of [false, true]) {
      const shape = { backward, after: true, until: true, from: true, to: true };
      expect(plan(db, pageSql(shape), [1, 10, 200, 0, 1, Date.now(), 100]).join('\n')).toMatch(
        /SEARCH events USING INDEX events_by_seq \(sid=\? AND seq>\? AND seq<\?\)/,
      );
    }
  });

  it('the idempotency lookups read the seq index alone for the tail, event_ids first for sealed seqs', () => {
    expect(plan(db, SQL.tailRows, [1, 384])).toEqual([
      'SEARCH events USING COVERING INDEX events_by_seq (sid=? AND seq>?)',
    ]);
    expect(plan(db, SQL.findSealedDuplicate, [1, 1001, 'id-1'])).toEqual([
      'SEARCH x USING PRIMARY KEY (sid=? AND id_hash=?)',
      'SEARCH e USING INDEX events_by_seq (sid=? AND seq=?)',
    ]);
  });

  it('purges find expired events by a range of expiries, in its order, each event by its rowid', () => {
    expect(plan(db, SQL.expiredEvents, [Date.now(), 1000])).toEqual([
      'SEARCH x USING PRIMARY KEY (expires_at_ms<?)',
      'SEARCH e USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN',
    ]);
  });

  it("then take a session's expired events along its (sid, seq) index, not the expiry index", () => {
    expect(plan(db, SQL.expiredInSession, [1, 1, 513, Date.now(), 100])).toEqual([
      'SEARCH events USING INDEX events_by_seq (sid=? AND seq>? AND seq<?)',
    ]);
  });

  it('the newest event of a session is one step down the (sid, seq) index', () => {
    expect(plan(db, SQL.lastEvent, [1])).toEqual([
      'SEARCH events USING INDEX events_by_seq (sid=?)',
    ]);
  });

  it.each(allSessionPageShapes())(
    'session page %o walks the name index in order, a range for a cursor or a prefix',
    (shape) => {
      const params: unknown[] = [];
      if (shape.lower !== 'none') params.push('session-1');
      if (shape.upper) params.push('session-2');
      params.push(100);
      const lines = plan(db, sessionPageSql(shape), params).join('\n');
      expect(lines).not.toMatch(/TEMP B-TREE/);
      if (shape.lower === 'none' && !shape.upper) {
        // The first page without a prefix: the index in order, stopped by LIMIT.
        expect(lines).toBe('SCAN session_state USING INDEX sqlite_autoindex_session_state_1');
      } else {
        expect(lines).toMatch(
          /^SEARCH session_state USING INDEX sqlite_autoindex_session_state_1 \(name[<>]/,
        );
      }
    },
  );
});
