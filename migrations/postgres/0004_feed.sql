-- 0004_feed: the global feed's position of every event, (tx, pos), and its index (issue 13).
--
-- Down: DROP INDEX events_feed (cascades to the partitions' indexes);
--       ALTER TABLE events DROP COLUMN tx, DROP COLUMN pos; DROP SEQUENCE events_pos;
--       ALTER TABLE sessions DROP COLUMN last_tx;
--       DELETE FROM schema_migrations WHERE version = 4;
--
-- Runs outside a transaction, statement by statement, each in a transaction of its own with
-- search_path set to the store's schema but for the concurrent index builds and drops (built by
-- `history:each` queries naming the schema), under the rules of 0003: nothing rewrites or
-- scans `events` under a lock that blocks writers (nullable columns without a default, then
-- `SET DEFAULT`, which only affects rows inserted from then on: catalog-only, a brief ACCESS
-- EXCLUSIVE lock each, given up after lock_timeout and retried by the runner), indexes are
-- built concurrently, and every statement is idempotent, so a migration interrupted half-way
-- is run again whole.
--
-- tx: the inserting transaction's id (xid8), or a later one: the writer stores
-- greatest(its own id, the session's last_tx), so that a session's events are in seq order in
-- the feed even when a transaction took its id before waiting for the session's row lock.
-- pos: a global sequence number, taken after the session's lock is held. The feed reads
-- (tx, pos) in order, only below pg_snapshot_xmin: see the package README.
--
-- Rows stored before this migration get tx = 0, and pos from the sequence in (session_id, seq)
-- order, in bounded batches each its own short transaction (`history:repeat`): they precede
-- every new row in the feed. No store of this version reads the feed before the migration is
-- recorded, so no feed position can be behind them.
-- history:no-transaction

SET lock_timeout = '2s';

CREATE SEQUENCE IF NOT EXISTS events_pos AS bigint;

ALTER TABLE events ADD COLUMN IF NOT EXISTS tx xid8, ADD COLUMN IF NOT EXISTS pos bigint;

-- From now on every insert fills them, the previous release's writers included (their INSERTs
-- do not name the columns). Waits for (at most lock_timeout) the inserts in progress, so every
-- row left NULL is committed before the backfill below starts.
ALTER TABLE events
  ALTER COLUMN tx SET DEFAULT pg_current_xact_id(),
  ALTER COLUMN pos SET DEFAULT nextval('events_pos');

ALTER SEQUENCE events_pos OWNED BY events.pos;

-- The greatest tx given to the session's events so far (see tx above); NULL: none since 0004.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS last_tx xid8;

RESET lock_timeout;

-- Leftovers of an interrupted concurrent build of the indexes below.
-- history:each
SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', current_schema(), c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
  AND c.relkind = 'i' AND NOT i.indisvalid
  AND c.relname ~ '^events(_p[0-9]+)?_feed(_backfill)?$';

-- The backfill finds the rows left to number through a partial index (empty once done), not by
-- scanning `events` again per batch. One per leaf table: `events`, or each partition.
-- history:each
SELECT format(
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I.%I (session_id, seq) WHERE tx IS NULL',
  c.relname || '_feed_backfill', current_schema(), c.relname
)
FROM pg_partition_tree('events') t JOIN pg_class c ON c.oid = t.relid
WHERE t.isleaf
ORDER BY c.relname;

-- Repeated until it updates nothing: 5,000 rows per statement, each its own transaction.
-- history:repeat
UPDATE events e SET tx = '0', pos = b.pos
FROM (
  SELECT session_id, seq, nextval('events_pos') AS pos
  FROM (SELECT session_id, seq FROM events WHERE tx IS NULL ORDER BY session_id, seq LIMIT 5000) AS c
) AS b
WHERE e.session_id = b.session_id AND e.seq = b.seq AND e.tx IS NULL;

-- history:each
SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', current_schema(), c.relname || '_feed_backfill')
FROM pg_partition_tree('events') t JOIN pg_class c ON c.oid = t.relid
WHERE t.isleaf
ORDER BY c.relname;

-- The feed's keyset. A partitioned table cannot build an index concurrently: ON ONLY the parent
-- (invalid until every partition's is attached), each partition's concurrently, then attached.
-- history:each
SELECT CASE WHEN relkind = 'p'
  THEN 'CREATE INDEX IF NOT EXISTS events_feed ON ONLY events (tx, pos)'
  ELSE format('CREATE INDEX CONCURRENTLY IF NOT EXISTS events_feed ON %I.events (tx, pos)', current_schema())
  END
FROM pg_class WHERE oid = 'events'::regclass;

-- history:each
SELECT format(
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I.%I (tx, pos)',
  p.relname || '_feed', current_schema(), p.relname
)
FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass
ORDER BY p.relname;

-- history:each
SELECT format('ALTER INDEX events_feed ATTACH PARTITION %I', x.relname)
FROM pg_inherits i
JOIN pg_class p ON p.oid = i.inhrelid
JOIN pg_class x ON x.relname = p.relname || '_feed' AND x.relnamespace = p.relnamespace
WHERE i.inhparent = 'events'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_inherits a WHERE a.inhrelid = x.oid)
ORDER BY p.relname;
