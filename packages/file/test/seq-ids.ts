import type { HistoryStore } from '@history/core';

/** The session's records as streamed, each as `seq:id`. */
export async function seqIds(
  store: HistoryStore,
  sessionId: string,
  range?: Parameters<HistoryStore['stream']>[1],
): Promise<string[]> {
  const out: string[] = [];
  for await (const r of store.stream(sessionId, range)) out.push(`${r.seq}:${r.id}`);
  return out;
}
