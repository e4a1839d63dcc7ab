import type { PreparedEnvelope } from './prepare-envelope.js';

/** A batch with in-batch repeats removed, and where each original record's result comes from. */
export interface DedupedBatch {
  unique: PreparedEnvelope[];
  /** Per original record: its index in `unique`, or `-1 - i` when it repeats `unique[i]`. */
  target: number[];
}

/**
 * The backend sees each (session, id) once; later copies in the batch are
 * duplicates of the first. Keyed by id alone (ids are nearly always unique
 * across sessions), comparing the session on a hit: no per-record key string.
 */
export function dedupeBatch(items: readonly PreparedEnvelope[]): DedupedBatch {
  const unique: PreparedEnvelope[] = [];
  const target = new Array<number>(items.length);
  const firstById = new Map<string, number>();
  // Rare: one id in several sessions of the batch; keyed by session too.
  let bySessionAndId: Map<string, number> | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const first = firstById.get(item.id);
    let seen: number | undefined;
    if (first === undefined) {
      firstById.set(item.id, unique.length);
    } else if (unique[first]!.sessionId === item.sessionId) {
      seen = first;
    } else {
      bySessionAndId ??= new Map();
      const key = `${item.sessionId}\0${item.id}`;
      seen = bySessionAndId.get(key);
      if (seen === undefined) bySessionAndId.set(key, unique.length);
    }
    if (seen === undefined) {
      target[i] = unique.length;
      unique.push(item);
    } else {
      target[i] = -1 - seen;
    }
  }
  return { unique, target };
}
