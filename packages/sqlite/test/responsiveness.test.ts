import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

/** Runs `work` while a 1 ms interval timer records the longest gap between its ticks. */
async function maxTimerGap(
  work: () => Promise<void>,
): Promise<{ maxGapMs: number; ticks: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { maxGapMs, ticks };
}

describe('main-thread responsiveness (worker threads)', () => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db.cleanup());
  const total = 100_000;
  // Producers hand over modest chunks: validation (core, on this thread) of one chunk stays short.
  const chunk = 100;

  // How long the loop stalls is measured by the benchmark (event-loop delay), not here: a
  // wall-clock bound fails whenever the OS deschedules this thread on a busy machine. What
  // is checked is what a regression breaks outright: with SQLite (or a whole replay) running
  // as one synchronous stretch, the timer could not fire during the work at all.
  it('keeps a 1 ms timer firing while 100,000 events are ingested and replayed', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename });
    const at = '2026-01-01T00:00:00.000Z';
    // Warm-up outside the measurement: first-call JIT of validation is not what this test is about.
    await store.append({
      id: 'warm-up',
      type: 'message',
      sessionId: 'warm-up',
      occurredAt: at,
      payload: 0,
    });
    const ingest = await maxTimerGap(async () => {
      const inFlight: Promise<unknown>[] = [];
      for (let start = 0; start < total; start += chunk) {
        const batch = Array.from({ length: chunk }, (_, i) => ({
          id: crypto.randomUUID(),
          type: 'message',
          sessionId: `s${(start / chunk) % 8}`,
          occurredAt: at,
          payload: { n: start + i, text: 'lorem ipsum dolor sit amet '.repeat(4) },
        }));
        inFlight.push(store.appendMany(batch));
        if (inFlight.length >= 16) await inFlight.shift();
        // Yield between chunks as a real producer would: timers get their turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(inFlight);
    });
    let replayed = 0;
    const replay = await maxTimerGap(async () => {
      for (let s = 0; s < 8; s++) {
        for await (const _ of store.stream(`s${s}`)) replayed++;
      }
    });
    await store.close();
    console.log(
      `max 1 ms-timer gap: ingest ${ingest.maxGapMs.toFixed(1)} ms (${ingest.ticks} ticks), replay ${replay.maxGapMs.toFixed(1)} ms (${replay.ticks} ticks)`,
    );
    expect(replayed).toBe(total);
    expect(ingest.ticks).toBeGreaterThan(10);
    expect(replay.ticks).toBeGreaterThan(0);
  });
});
