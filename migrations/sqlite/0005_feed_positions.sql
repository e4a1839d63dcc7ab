-- The feed (issue 13): every event in commit order, resumable from a position.
-- A position is the event's rowid. Writes take SQLite's single write lock, so rowids
-- handed out in a later transaction are larger, as long as no rowid is ever handed out
-- twice and none ever changes.
--
-- Changes: VACUUM renumbers the rowids of a table without an INTEGER PRIMARY KEY, so events
-- is rebuilt once more (as 0003 did), with the same rows and rowids, rowid now aliased by
-- `pos INTEGER PRIMARY KEY`, which VACUUM keeps. Every query naming rowid still works.
-- This copies the table once: on a large database, migrate at a quiet time.
CREATE TABLE events_0005 (
  pos INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL REFERENCES session_state (sid),
  seq INTEGER NOT NULL,
  id_hash INTEGER NOT NULL,
  id TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  json TEXT NOT NULL,
  expires_at_ms INTEGER
);

INSERT INTO events_0005 (pos, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json, expires_at_ms)
SELECT rowid, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json, expires_at_ms FROM events;

DROP TABLE events;
ALTER TABLE events_0005 RENAME TO events;

CREATE INDEX events_by_seq ON events (sid, seq, id_hash);
CREATE INDEX events_by_expiry ON events (expires_at_ms) WHERE expires_at_ms IS NOT NULL;

-- Reuse: SQLite gives a new row max(rowid) + 1, so a delete or purge that removed the rows
-- with the highest rowids would let the next append reuse them, and a consumer already
-- positioned past them would skip its events (AUTOINCREMENT would prevent it at the cost of
-- a write to sqlite_sequence per batch). Those rowids are remembered here instead: a delete
-- or purge that lowers max(rowid) raises high_water to what it was, in its own transaction,
-- and writers insert with explicit rowids above max(high_water, max(rowid)). Appends never
-- write this row.
CREATE TABLE feed_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  high_water INTEGER NOT NULL
);

INSERT INTO feed_state (id, high_water) SELECT 1, coalesce(max(rowid), 0) FROM events;
