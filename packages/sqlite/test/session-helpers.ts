import type { HistoryStore } from '@history/core';

export const event = (sessionId: string, n: number) => ({
  id: `${sessionId}-${n}`,
  type: 't',
  sessionId,
  occurredAt: new Date().toISOString(),
  payload: n,
});

export async function ids(store: HistoryStore, sessionId: string) {
  const out: [string, number][] = [];
  for await (const r of store.stream(sessionId)) out.push([r.id, r.seq]);
  return out;
}

/** Fills a session past a sealed block, so both event_ids and the cached tail hold ids. */
export async function fill(store: HistoryStore, sessionId: string, n: number) {
  for (let k = 1; k <= n; k += 10) {
    await store.appendMany(
      Array.from({ length: Math.min(10, n - k + 1) }, (_, i) => event(sessionId, k + i)),
    );
  }
}
