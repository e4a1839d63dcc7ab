-- Sessions get a small integer key, so the per-event indexes repeat 8 bytes
-- instead of the session id text.
CREATE TABLE sessions (
  sid INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- One row per stored envelope. A rowid table (not WITHOUT ROWID): rows carry
-- the envelope JSON, often kilobytes, which would bloat a clustered b-tree.
CREATE TABLE events (
  sid INTEGER NOT NULL REFERENCES sessions (sid),
  seq INTEGER NOT NULL,
  -- 53-bit hash of id: the idempotency index stays 8-byte keys even for
  -- long random ids (UUIDv4); collisions are resolved by comparing id.
  id_hash INTEGER NOT NULL,
  id TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (sid, seq)
);

CREATE INDEX events_by_id_hash ON events (sid, id_hash);
CREATE INDEX events_by_time ON events (sid, occurred_at_ms);

CREATE TABLE checkpoints (
  sid INTEGER PRIMARY KEY REFERENCES sessions (sid),
  json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  seq INTEGER
);
