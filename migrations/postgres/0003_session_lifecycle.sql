-- 0003_session_lifecycle: expiry of events, session metadata and tombstones, and the
-- indexes of listSessions and of purges (issue 12).
--
-- Down: DROP INDEX CONCURRENTLY sessions_session_id_c; DROP INDEX events_expires_at (cascades
--       to the partitions' indexes); ALTER TABLE events DROP COLUMN expires_at;
--       ALTER TABLE sessions DROP COLUMN created_at, DROP COLUMN updated_at,
--       DROP COLUMN event_count, DROP COLUMN deleted_at;
--       DELETE FROM schema_migrations WHERE version = 3;
--
-- Runs outside a transaction, statement by statement (CREATE INDEX CONCURRENTLY cannot run in
-- one), each in a transaction of its own with search_path set to the store's schema, but for the
-- concurrent index builds and drops: they run alone, so the `history:each` queries that build
-- them name the schema (current_schema()). Nothing rewrites or scans `events` under a
-- lock that blocks writers: the columns are nullable without a default (catalog-only changes,
-- a brief ACCESS EXCLUSIVE lock each, given up after lock_timeout and retried by the runner so
-- they never queue writers behind a long transaction), and the indexes are built concurrently.
-- Every statement is idempotent, so a migration interrupted half-way is run again whole; an
-- index left INVALID by an interrupted concurrent build is dropped first and rebuilt.
--
-- Rows stored before this migration have no expiry (the previous release ignored ttlMs, and
-- computing it would rewrite `events`); sessions of before have NULL metadata, which the
-- store derives from their events when read (see the package README).
-- history:no-transaction

SET lock_timeout = '2s';

-- Expiry instant (occurredAt + ttlMs) of an event with a ttl; NULL: never expires.
ALTER TABLE events ADD COLUMN IF NOT EXISTS expires_at timestamptz;

-- created_at / updated_at: commit times of the first append since creation (or deletion) and
-- of the latest append that stored an event. event_count: events stored now. deleted_at: set
-- while the session does not exist (deleted, or only locked by a failed conditional append):
-- the row stays as a tombstone holding last_seq, so seqs never go backwards.
ALTER TABLE sessions
  ADD COLUMN IF NOT EXISTS created_at timestamptz,
  ADD COLUMN IF NOT EXISTS updated_at timestamptz,
  ADD COLUMN IF NOT EXISTS event_count bigint,
  ADD COLUMN IF NOT EXISTS deleted_at timestamptz;

RESET lock_timeout;

-- Leftovers of an interrupted concurrent build of the indexes below.
-- history:each
SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', current_schema(), c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
  AND c.relkind = 'i' AND NOT i.indisvalid
  AND c.relname ~ '^(sessions_session_id_c|events(_p[0-9]+)?_expires_at)$';

-- listSessions: keyset pages in byte order (COLLATE "C") over existing sessions.
-- history:each
SELECT format(
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_session_id_c ON %I.sessions (session_id COLLATE "C") WHERE deleted_at IS NULL',
  current_schema()
);

-- Purges find expired events through this index, never by scanning `events`. A partitioned
-- table cannot build an index concurrently: its index is made ON ONLY the parent (invalid
-- until every partition's is attached), each partition's concurrently, then attached.
-- history:each
SELECT CASE WHEN relkind = 'p'
  THEN 'CREATE INDEX IF NOT EXISTS events_expires_at ON ONLY events (expires_at) WHERE expires_at IS NOT NULL'
  ELSE format('CREATE INDEX CONCURRENTLY IF NOT EXISTS events_expires_at ON %I.events (expires_at) WHERE expires_at IS NOT NULL', current_schema())
  END
FROM pg_class WHERE oid = 'events'::regclass;

-- history:each
SELECT format(
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I.%I (expires_at) WHERE expires_at IS NOT NULL',
  p.relname || '_expires_at', current_schema(), p.relname
)
FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass
ORDER BY p.relname;

-- history:each
SELECT format('ALTER INDEX events_expires_at ATTACH PARTITION %I', x.relname)
FROM pg_inherits i
JOIN pg_class p ON p.oid = i.inhrelid
JOIN pg_class x ON x.relname = p.relname || '_expires_at' AND x.relnamespace = p.relnamespace
WHERE i.inhparent = 'events'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_inherits a WHERE a.inhrelid = x.oid)
ORDER BY p.relname;
