-- 0001_initial: sessions (per-session seq counter), events, checkpoints, append_batch().
--
-- Down: DROP FUNCTION append_batch; DROP TABLE checkpoints, events, sessions;
--       DELETE FROM schema_migrations WHERE version = 1;
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

-- Writes one batch: the only place seqs are allocated. Small batches call it with
-- bind-parameter arrays in autocommit (one round trip; the call is the transaction);
-- large ones COPY into a staging table and call it with arrays aggregated from there,
-- inside their transaction. Steps:
-- 1. lock (creating) the counter rows of p_sessions, in the order given (sorted by the caller,
--    so concurrent batches cannot deadlock);
-- 2. in a new statement, hence a new snapshot that sees every committed write of those
--    sessions: ids already stored become duplicates, the others get the next seqs in
--    batch order, are inserted, and last_seq moves on;
-- 3. fail with serialization_failure (retryable) if fewer rows went in than expected.
-- Returns (seq, duplicate) per input row, in input order.
CREATE FUNCTION append_batch(
  p_sessions text[],
  p_session_ids text[],
  p_ids text[],
  p_occurred_at timestamptz[],
  p_envelopes json[]
) RETURNS TABLE (r_seq bigint, r_duplicate boolean)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_seqs bigint[];
  v_duplicates boolean[];
  v_inserted bigint;
  v_expected bigint;
  v_locked bigint;
BEGIN
  WITH locked AS (
    INSERT INTO sessions AS t (session_id, last_seq)
    SELECT k, 0 FROM unnest(p_sessions) WITH ORDINALITY AS u(k, n) ORDER BY n
    ON CONFLICT (session_id) DO UPDATE SET last_seq = t.last_seq
    RETURNING 1
  )
  SELECT count(*) INTO v_locked FROM locked;

  WITH batch AS (
    SELECT b.n, b.session_id, b.id, b.occurred_at, b.envelope, e.seq AS existing
    FROM unnest(p_session_ids, p_ids, p_occurred_at, p_envelopes)
      WITH ORDINALITY AS b(session_id, id, occurred_at, envelope, n)
    LEFT JOIN events e ON e.session_id = b.session_id AND e.id = b.id
  ),
  numbered AS (
    SELECT batch.n, batch.session_id, batch.id, batch.occurred_at, batch.envelope,
           s.last_seq + row_number() OVER (PARTITION BY batch.session_id ORDER BY batch.n) AS new_seq
    FROM batch JOIN sessions s ON s.session_id = batch.session_id
    WHERE batch.existing IS NULL
  ),
  inserted AS (
    INSERT INTO events (session_id, seq, id, occurred_at, envelope)
    SELECT session_id, new_seq, id, occurred_at, envelope FROM numbered
    ON CONFLICT DO NOTHING
    RETURNING 1
  ),
  advanced AS (
    UPDATE sessions AS t SET last_seq = m.last_seq
    FROM (SELECT session_id, max(new_seq) AS last_seq FROM numbered GROUP BY session_id) AS m
    WHERE t.session_id = m.session_id
    RETURNING 1
  )
  SELECT array_agg(coalesce(batch.existing, numbered.new_seq) ORDER BY batch.n),
         array_agg(batch.existing IS NOT NULL ORDER BY batch.n),
         (SELECT count(*) FROM inserted),
         (SELECT count(*) FROM numbered)
  INTO v_seqs, v_duplicates, v_inserted, v_expected
  FROM batch LEFT JOIN numbered ON numbered.n = batch.n;

  IF v_inserted <> v_expected THEN
    -- Only a writer bypassing the session lock gets here; a retry sees its rows as duplicates.
    RAISE EXCEPTION 'append_batch: inserted % of % rows', v_inserted, v_expected
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN QUERY SELECT * FROM unnest(v_seqs, v_duplicates);
END
$$;
