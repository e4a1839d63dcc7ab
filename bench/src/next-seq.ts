/**
 * A seq counter kept in memory per session, starting from `last` (read from
 * storage) the first time a session is touched: the previous stores' way, and
 * the floors' (which start from 0).
 */
export function nextSeq(last: (sessionId: string) => number): (sessionId: string) => number {
  const seqs = new Map<string, number>();
  return (sessionId) => {
    const seq = (seqs.get(sessionId) ?? last(sessionId)) + 1;
    seqs.set(sessionId, seq);
    return seq;
  };
}

/** `nextSeq` for a store whose `last` is a query: each session's seqs chain in call order. */
export function nextSeqAsync(
  last: (sessionId: string) => Promise<number>,
): (sessionId: string) => Promise<number> {
  const seqs = new Map<string, Promise<number>>();
  return (sessionId) => {
    const seq = (seqs.get(sessionId) ?? last(sessionId)).then((s) => s + 1);
    seqs.set(sessionId, seq);
    return seq;
  };
}
