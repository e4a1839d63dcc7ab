import { describe, expect, it } from 'vitest';
import { createMemoryHistoryStore } from '../src/index.js';

describe('a backend without I/O still lets the event loop turn', () => {
  it('fires a timer while sessions are being replayed back to back', async () => {
    // The memory backend serves every page at once: without the loop budget the whole
    // replay below would run as promise continuations and the timer would wait for its end.
    const store = createMemoryHistoryStore();
    const sessions = 50;
    for (let s = 0; s < sessions; s++) {
      await store.appendMany(
        Array.from({ length: 1000 }, (_, i) => ({
          id: `e${i}`,
          sessionId: `s${s}`,
          type: 't',
          payload: { i, text: 'some words of an agent turn' },
          occurredAt: '2025-01-01T00:00:00Z',
        })),
      );
    }
    let timerFired = false;
    let recordsWhenFired = -1;
    let records = 0;
    setTimeout(() => {
      timerFired = true;
      recordsWhenFired = records;
    }, 0);
    for (let pass = 0; pass < 4; pass++) {
      for (let s = 0; s < sessions; s++) {
        for await (const _ of store.stream(`s${s}`)) records++;
      }
    }
    expect(records).toBe(4 * sessions * 1000);
    // The timer may fire at the first yield (a slow machine can pause before the first
    // record); what matters is that it fires before the replays end.
    expect(timerFired).toBe(true);
    expect(recordsWhenFired).toBeLessThan(records);
  });

  it('fires a timer while checkpoints are written and read back to back', async () => {
    // The memory backend answers checkpoints without I/O, like SQLite's main-thread connection.
    const store = createMemoryHistoryStore();
    let timerFired = false;
    let callsWhenFired = -1;
    let calls = 0;
    setTimeout(() => {
      timerFired = true;
      callsWhenFired = calls;
    }, 0);
    const payload = { summary: 'x'.repeat(2000) };
    for (let i = 0; i < 20_000; i++) {
      await store.checkpoint(`s${i % 50}`, payload, { seq: i });
      await store.getCheckpoint(`s${i % 50}`);
      calls++;
    }
    // As above: firing at the first yield is fine, firing only after the loop is not.
    expect(timerFired).toBe(true);
    expect(callsWhenFired).toBeLessThan(calls);
  });
});
