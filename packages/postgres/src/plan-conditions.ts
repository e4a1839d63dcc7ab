import type { BatchCondition, BatchConflict, PreparedEnvelope } from '@history/core/backend';

/** A session's counter as its locked row gave it. */
export interface LockedSession {
  lastSeq: number;
  /** False for a tombstone: deleted, or never stored an event. */
  exists: boolean;
}

export interface ConditionPlan {
  /** Positions of the records to write, in batch order. */
  write: number[];
  /** The conflict of each record not written, by position. */
  conflicts: Map<number, BatchConflict>;
}

/**
 * Decides, under the sessions' row locks, which records of a batch with conditions are
 * written: walks the batch in order as the write would, so a condition sees the seqs taken by
 * the records before it (see `HistoryBackend.writeBatch`). `stored` holds `sessionId\0id` of
 * the ids already stored (NUL cannot occur in either).
 */
export function planConditions(
  records: readonly PreparedEnvelope[],
  conditions: readonly BatchCondition[],
  locked: ReadonlyMap<string, LockedSession>,
  stored: ReadonlySet<string>,
): ConditionPlan {
  const state = new Map<string, LockedSession>();
  const session = (id: string) => {
    let s = state.get(id);
    if (!s) {
      s = { ...(locked.get(id) ?? { lastSeq: 0, exists: false }) };
      state.set(id, s);
    }
    return s;
  };
  const isStored = (r: PreparedEnvelope) => stored.has(`${r.sessionId}\0${r.id}`);
  const write: number[] = [];
  const conflicts = new Map<number, BatchConflict>();
  const take = (i: number) => {
    const r = records[i]!;
    write.push(i);
    if (isStored(r)) return;
    const s = session(r.sessionId);
    s.lastSeq++;
    s.exists = true;
  };
  let next = 0;
  for (let i = 0; i < records.length; ) {
    const condition = conditions[next];
    if (condition?.start !== i) {
      take(i++);
      continue;
    }
    next++;
    const end = i + condition.count;
    const group = records.slice(i, end);
    const s = session(group[0]!.sessionId);
    const actualSeq = s.exists ? s.lastSeq : 0;
    if (!group.every(isStored) && actualSeq !== condition.expectedSeq) {
      for (let k = i; k < end; k++) {
        const r = records[k]!;
        conflicts.set(k, { conflict: true, id: r.id, sessionId: r.sessionId, actualSeq });
      }
    } else {
      for (let k = i; k < end; k++) take(k);
    }
    i = end;
  }
  return { write, conflicts };
}
