-- The (sid, occurred_at_ms) index dirtied one page per session per batch, a
-- third of a small batch's WAL frames. Time ranges are served instead by a
-- sparse index: one row per sealed block of 128 seqs of a session, with the
-- block's earliest and latest occurred_at_ms. A time-range read walks
-- (sid, seq) and skips every sealed block whose bounds miss the range; the
-- last, unsealed block (and any block without a row) is always read, so the
-- index only ever narrows a read, never hides an event.
DROP INDEX events_by_time;

CREATE TABLE time_blocks (
  sid INTEGER NOT NULL,
  -- Block b holds seqs b * 128 + 1 .. (b + 1) * 128.
  block INTEGER NOT NULL,
  min_ms INTEGER NOT NULL,
  max_ms INTEGER NOT NULL,
  PRIMARY KEY (sid, block)
) WITHOUT ROWID;

-- Blocks already complete: those whose last seq is stored.
INSERT INTO time_blocks (sid, block, min_ms, max_ms)
SELECT sid, (seq - 1) / 128, min(occurred_at_ms), max(occurred_at_ms)
FROM events
GROUP BY sid, (seq - 1) / 128
HAVING max(seq) % 128 = 0;
