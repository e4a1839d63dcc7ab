-- Expiries get a table of their own, in place of the partial index on events (0004).
--
-- A purge removes a session's expired events in seq order, as that keeps the session's rows
-- and its other index entries on few pages. Keyed by the expiry, the index entries of
-- concurrent sessions interleave (events expiring in the same moments), so every event a
-- purge removed rewrote a leaf of that index: 16 of the 26 pages a 16-event slice wrote.
-- An index cannot be left behind by a delete; a table can: a purge now deletes the events
-- first, then their `expiries` rows, sorted by key, many to a leaf. Appends are unchanged: an
-- event with an expiry adds one row at the table's newest leaf, as it added an index entry.
-- A row whose event is gone (a purge interrupted between its two steps) is deleted by the
-- next purge that reads it.
-- Copies every expiry once (one read of the old index's rows), then drops the index.
CREATE TABLE expiries (
  expires_at_ms INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  PRIMARY KEY (expires_at_ms, pos)
) WITHOUT ROWID;

INSERT INTO expiries (expires_at_ms, pos)
SELECT expires_at_ms, pos FROM events WHERE expires_at_ms IS NOT NULL;

DROP INDEX events_by_expiry;
