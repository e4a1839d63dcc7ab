-- 0001_initial: sessions (per-session seq counter), events, checkpoints.
--
-- Down: DROP TABLE checkpoints, events, sessions; DELETE FROM schema_migrations WHERE version = 1;
--       (or simply DROP SCHEMA <schema> CASCADE: the store owns its schema).
--
-- Runs inside one transaction with search_path set to the store's schema only, so
-- no name here is schema-qualified. The transaction-local setting
-- `history.partitions` (N > 0) creates `events` hash-partitioned by session_id
-- into N partitions; every query filters on session_id, so none changes.

-- One row per session: the row lock serialises writers of a session across
-- processes, and last_seq is the last seq handed out.
CREATE TABLE sessions (
  session_id text PRIMARY KEY,
  last_seq bigint NOT NULL
);

-- Both keys start with session_id: they serve keyset reads and duplicate
-- lookups, and stay valid unique indexes under hash partitioning by session_id.
-- `envelope` is json, not jsonb: it keeps the text verbatim and accepts \u0000
-- escapes (see the package README for the measurements).
DO $$
DECLARE
  partitions integer := coalesce(nullif(current_setting('history.partitions', true), ''), '0')::integer;
BEGIN
  EXECUTE 'CREATE TABLE events (
      session_id text NOT NULL,
      seq bigint NOT NULL,
      id text NOT NULL,
      occurred_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      envelope json NOT NULL,
      CONSTRAINT events_pkey PRIMARY KEY (session_id, seq),
      CONSTRAINT events_session_id_id_key UNIQUE (session_id, id)
    )' || CASE WHEN partitions > 0 THEN ' PARTITION BY HASH (session_id)' ELSE '' END;
  FOR i IN 0 .. partitions - 1 LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF events FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
      'events_p' || i, partitions, i
    );
  END LOOP;
END
$$;

CREATE TABLE checkpoints (
  session_id text PRIMARY KEY,
  payload json NOT NULL,
  seq bigint,
  created_at timestamptz NOT NULL
);
