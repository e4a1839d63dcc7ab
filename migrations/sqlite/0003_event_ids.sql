-- The (sid, id_hash) idempotency index dirtied one page per session per batch:
-- with the (sid, seq) primary key, two of every three WAL frames a batch of
-- single appends from many sessions wrote. Idempotency is now served by
--   * the (sid, seq) index, which also carries id_hash, for a session's last,
--     unsealed block of 128 seqs (the writer keeps those hashes in memory), and
--   * event_ids, written a whole sealed block at a time, for every seq up to
--     the session's last multiple of 128.
-- A rowid table cannot drop its primary-key index, so events is rebuilt with
-- the same rows and rowids. (sid, seq) stays unique by construction: the
-- writer hands out seqs under the write lock (BEGIN IMMEDIATE), from max(seq).
-- A writer of an older version fails on this schema (its duplicate lookup
-- names the dropped index) instead of writing rows event_ids would miss.
CREATE TABLE events_0003 (
  sid INTEGER NOT NULL REFERENCES sessions (sid),
  seq INTEGER NOT NULL,
  id_hash INTEGER NOT NULL,
  id TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  json TEXT NOT NULL
);

INSERT INTO events_0003 (rowid, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json)
SELECT rowid, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json FROM events;

DROP TABLE events;
ALTER TABLE events_0003 RENAME TO events;

CREATE INDEX events_by_seq ON events (sid, seq, id_hash);

CREATE TABLE event_ids (
  sid INTEGER NOT NULL,
  id_hash INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (sid, id_hash, seq)
) WITHOUT ROWID;

-- Every stored seq up to its session's last multiple of 128.
INSERT INTO event_ids (sid, id_hash, seq)
SELECT e.sid, e.id_hash, e.seq
FROM events e
JOIN (SELECT sid, max(seq) / 128 * 128 AS sealed FROM events GROUP BY sid) s ON s.sid = e.sid
WHERE e.seq <= s.sealed;
