-- Session lifecycle (issue 12): expiry, session listing, deletion and purges.
-- Every change is cheap on a large database except the two full reads noted below;
-- nothing here adds a write to the hot path (a batch of single appends from many
-- sessions): a session's row is written only when the session is created, recreated
-- after a delete, or loses events to a delete or a purge.

-- When the event expires (occurred_at_ms + ttlMs), NULL without a ttl. A partial
-- index: events without a ttl (most of them) add no index entry, and a purge finds
-- expired rows by a range search instead of a scan.
ALTER TABLE events ADD COLUMN expires_at_ms INTEGER;

-- Events stored by an older version carry their ttlMs in the JSON only. instr()
-- skips most rows without parsing them; this reads every event once.
UPDATE events
SET expires_at_ms = occurred_at_ms + json_extract(json, '$.ttlMs')
WHERE instr(json, '"ttlMs"') > 0
  AND json_type(json, '$.ttlMs') IN ('integer', 'real')
  AND occurred_at_ms + json_extract(json, '$.ttlMs') <= 253402300799999;

CREATE INDEX events_by_expiry ON events (expires_at_ms) WHERE expires_at_ms IS NOT NULL;

-- sessions becomes session_state: it now holds deleted sessions' tombstones too. The
-- rename (schema only) also makes a process still running an older version fail on
-- its next batch ("no such table: sessions") instead of writing what this schema
-- cannot see: events of a new session listSessions would not show, seqs restarting
-- after a delete, ttl events without an expiry.
ALTER TABLE sessions RENAME TO session_state;

-- Commit time of the session's first append since it was created or deleted; NULL
-- while the session does not exist (a checkpoint alone, a failed conditional
-- append, or a deleted session's tombstone).
ALTER TABLE session_state ADD COLUMN created_at_ms INTEGER;
-- Seqs up to seq_base belong to an earlier, deleted life of the session: the
-- session's stored events are seq_base + 1 .. lastSeq minus those purged since.
ALTER TABLE session_state ADD COLUMN seq_base INTEGER NOT NULL DEFAULT 0;
-- Events purged since the session was (re)created: eventCount is
-- lastSeq - seq_base - purged_events, without counting rows.
ALTER TABLE session_state ADD COLUMN purged_events INTEGER NOT NULL DEFAULT 0;
-- lastSeq and updatedAt as they were at the latest delete or purge: when that
-- removed the session's last event, they are no longer derivable from events,
-- and seqs must never go backwards.
ALTER TABLE session_state ADD COLUMN seq_floor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_state ADD COLUMN floor_updated_at_ms INTEGER;

-- Existing sessions exist since their first event (a session with a checkpoint
-- only stays NULL: it does not exist). One (sid, seq) search per session.
UPDATE session_state
SET created_at_ms = (
  SELECT e.created_at_ms FROM events e WHERE e.sid = session_state.sid ORDER BY e.seq LIMIT 1
);
