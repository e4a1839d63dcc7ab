import { compareIds } from './compare-ids.js';
import { createBackendStore } from './create-backend-store.js';
import type {
  BatchCondition,
  BatchConflict,
  FeedPage,
  FeedPageRequest,
  HistoryBackend,
  PurgeRequest,
  SessionPageRequest,
  StoredCheckpoint,
  StoredFeedEntry,
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from './history-backend.js';
import { inTimeRange, type NormalizedRange } from './history-range.js';
import type { AppendResult, HistoryStore, PurgeResult } from './history-store.js';
import { DEFAULT_PAGE_BYTES } from './page-bytes.js';
import { partitionPoint } from './partition-point.js';
import type { PreparedEnvelope } from './prepare-envelope.js';
import { assertKnownOptions, resolveStoreOptions, type StoreOptions } from './store-options.js';

interface MemoryRecord extends StoredRecord {
  occurredAtMs: number;
  expiresAtMs: number | undefined;
  /** Its place in commit order across sessions: the feed's position. */
  position: number;
  /** Erased by a delete or a purge: the feed skips it until the log is compacted. */
  removed?: true;
}

interface MemorySession {
  /** In seq order; purges leave gaps. */
  records: MemoryRecord[];
  seqById: Map<string, number>;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}

const PAGE_SIZE = 256;

/** The reference backend: the contract in its simplest executable form. */
export class MemoryBackend implements HistoryBackend {
  readonly name = 'memory';
  private readonly sessions = new Map<string, MemorySession>();
  /** Last seqs of deleted sessions, so that a recreated one continues after them. */
  private readonly tombstones = new Map<string, number>();
  private readonly checkpoints = new Map<string, StoredCheckpoint>();
  private sorted: SortedId[] | undefined;
  /** Every stored record in commit order (positions ascending), removed ones until compacted. */
  private feedLog: MemoryRecord[] = [];
  private removedInLog = 0;
  private lastPosition = 0;

  /** `pageBytes`: byte budget of a stream page (tests make it small). */
  constructor(private readonly pageBytes = DEFAULT_PAGE_BYTES) {}

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions: readonly BatchCondition[] = [],
  ): Promise<WriteOutcome[]> {
    const createdAt = new Date().toISOString();
    const out = new Array<WriteOutcome>(records.length);
    let c = 0;
    for (let i = 0; i < records.length; i++) {
      const condition = conditions[c];
      if (condition?.start === i) {
        c++;
        const refused = this.refuse(records, condition);
        if (refused) {
          for (let k = 0; k < condition.count; k++) out[i + k] = refused(records[i + k]!);
          i += condition.count - 1;
          continue;
        }
      }
      out[i] = this.write(records[i]!, createdAt);
    }
    return out;
  }

  /** A condition's conflict, or `undefined` when its records may be written (or are all stored). */
  private refuse(
    records: readonly PreparedEnvelope[],
    { start, count, expectedSeq }: BatchCondition,
  ): ((r: PreparedEnvelope) => BatchConflict) | undefined {
    const session = this.sessions.get(records[start]!.sessionId);
    const stored = records.slice(start, start + count).every((r) => session?.seqById.has(r.id));
    const actualSeq = session?.lastSeq ?? 0;
    if (stored || actualSeq === expectedSeq) return undefined;
    return (r) => ({ conflict: true, id: r.id, sessionId: r.sessionId, actualSeq });
  }

  private write(r: PreparedEnvelope, createdAt: string): AppendResult {
    let session = this.sessions.get(r.sessionId);
    if (!session) {
      session = {
        records: [],
        seqById: new Map(),
        lastSeq: this.tombstones.get(r.sessionId) ?? 0,
        createdAt,
        updatedAt: createdAt,
      };
      this.sessions.set(r.sessionId, session);
      this.tombstones.delete(r.sessionId);
      this.sorted = undefined;
    }
    const existing = session.seqById.get(r.id);
    if (existing !== undefined) {
      return { id: r.id, sessionId: r.sessionId, seq: existing, duplicate: true };
    }
    const seq = ++session.lastSeq;
    session.seqById.set(r.id, seq);
    session.updatedAt = createdAt;
    const record: MemoryRecord = {
      seq,
      sessionId: r.sessionId,
      id: r.id,
      json: r.json,
      createdAt,
      occurredAtMs: r.occurredAtMs,
      expiresAtMs: r.expiresAtMs,
      position: ++this.lastPosition,
    };
    session.records.push(record);
    this.feedLog.push(record);
    return { id: r.id, sessionId: r.sessionId, seq, duplicate: false };
  }

  async *readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    const records = this.sessions.get(sessionId)?.records ?? [];
    const forward = range.direction === 'forward';
    let i = forward
      ? firstAbove(records, range.after ?? 0)
      : firstAbove(records, (range.after ?? Number.POSITIVE_INFINITY) - 1) - 1;
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0 && i >= 0 && i < records.length) {
      const page: StoredRecord[] = [];
      let bytes = 0;
      const now = Date.now();
      while (page.length < PAGE_SIZE && left > 0 && i >= 0 && i < records.length) {
        const r = records[i]!;
        const expired = r.expiresAtMs !== undefined && r.expiresAtMs <= now;
        if (expired || !inTimeRange(r.occurredAtMs, range)) {
          i += forward ? 1 : -1;
          continue;
        }
        // Bounded by bytes too, as every backend's pages are: the next page starts with it.
        if (page.length > 0 && bytes + r.json.length > this.pageBytes) break;
        bytes += r.json.length;
        i += forward ? 1 : -1;
        page.push({
          seq: r.seq,
          sessionId: r.sessionId,
          id: r.id,
          json: r.json,
          createdAt: r.createdAt,
        });
        left--;
      }
      if (page.length > 0) yield page;
    }
  }

  async readFeed({ after, limit }: FeedPageRequest): Promise<FeedPage> {
    const log = this.feedLog;
    const afterPosition = after === undefined ? 0 : Number(after);
    let i = partitionPoint(log.length, (k) => log[k]!.position <= afterPosition);
    const entries: StoredFeedEntry[] = [];
    let bytes = 0;
    let skippedTo: number | undefined;
    const now = Date.now();
    for (; i < log.length && entries.length < limit; i++) {
      const r = log[i]!;
      if (r.removed || (r.expiresAtMs !== undefined && r.expiresAtMs <= now)) {
        skippedTo = r.position;
        continue;
      }
      if (entries.length > 0 && bytes + r.json.length > this.pageBytes) break;
      bytes += r.json.length;
      skippedTo = undefined;
      entries.push({
        position: String(r.position),
        seq: r.seq,
        sessionId: r.sessionId,
        id: r.id,
        json: r.json,
        createdAt: r.createdAt,
      });
    }
    return skippedTo === undefined ? { entries } : { entries, position: String(skippedTo) };
  }

  isFeedPosition(position: string): boolean {
    return /^(0|[1-9][0-9]{0,15})$/.test(position);
  }

  /** Marks records gone from the feed; drops them from its log once they are half of it. */
  private removeFromFeed(records: Iterable<MemoryRecord>): void {
    for (const r of records) {
      r.removed = true;
      this.removedInLog++;
    }
    if (this.removedInLog * 2 > this.feedLog.length) {
      this.feedLog = this.feedLog.filter((r) => !r.removed);
      this.removedInLog = 0;
    }
  }

  async listSessions({ after, prefix, limit }: SessionPageRequest): Promise<StoredSession[]> {
    const sorted = this.sortedIds();
    // Start after the cursor or at the prefix, whichever sorts later: a keyset, by binary search.
    const from = [after, prefix]
      .filter((v) => v !== undefined)
      .sort(compareIds)
      .at(-1);
    const page: StoredSession[] = [];
    let i = from === undefined ? 0 : firstAfter(sorted, from, from === after);
    for (; i < sorted.length && page.length < limit; i++) {
      const id = sorted[i]!.id;
      if (prefix !== undefined && !id.startsWith(prefix)) break;
      page.push(this.describe(id, this.sessions.get(id)!));
    }
    return page;
  }

  /** Session ids in code point order, kept until a session is created or deleted. */
  private sortedIds(): SortedId[] {
    this.sorted ??= [...this.sessions.keys()]
      .map((id) => ({ id, bytes: Buffer.from(id, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    return this.sorted;
  }

  async getSession(sessionId: string): Promise<StoredSession | null> {
    const session = this.sessions.get(sessionId);
    return session ? this.describe(sessionId, session) : null;
  }

  async deleteSession(sessionId: string): Promise<{ deletedEvents: number }> {
    const session = this.sessions.get(sessionId);
    this.checkpoints.delete(sessionId);
    if (!session) return { deletedEvents: 0 };
    this.sessions.delete(sessionId);
    this.sorted = undefined;
    this.tombstones.set(sessionId, session.lastSeq);
    this.removeFromFeed(session.records);
    return { deletedEvents: session.records.length };
  }

  async purgeExpired({
    now,
    limit,
    maxAgeMs,
    maxEventsPerSession,
  }: PurgeRequest): Promise<PurgeResult> {
    let deletedEvents = 0;
    let sessions = 0;
    for (const session of this.sessions.values()) {
      const excess =
        maxEventsPerSession === undefined ? 0 : session.records.length - maxEventsPerSession;
      const keep: MemoryRecord[] = [];
      const retired: MemoryRecord[] = [];
      let removed = 0;
      session.records.forEach((r, index) => {
        const retire =
          deletedEvents + removed < limit &&
          ((r.expiresAtMs !== undefined && r.expiresAtMs <= now) ||
            (maxAgeMs !== undefined && r.occurredAtMs <= now - maxAgeMs) ||
            index < excess);
        if (retire) {
          removed++;
          retired.push(r);
          session.seqById.delete(r.id);
        } else keep.push(r);
      });
      if (removed === 0) continue;
      session.records = keep;
      this.removeFromFeed(retired);
      deletedEvents += removed;
      sessions++;
      if (deletedEvents >= limit) return { deletedEvents, sessions, done: false };
    }
    return { deletedEvents, sessions, done: true };
  }

  async writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.checkpoints.set(checkpoint.sessionId, { ...checkpoint });
  }

  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    return this.checkpoints.get(sessionId) ?? null;
  }

  async close(): Promise<void> {}

  private describe(sessionId: string, s: MemorySession): StoredSession {
    return {
      sessionId,
      lastSeq: s.lastSeq,
      eventCount: s.records.length,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }
}

interface SortedId {
  id: string;
  bytes: Buffer;
}

/** Index of the first id after `key` (or at it, unless `exclusive`). */
function firstAfter(sorted: readonly SortedId[], key: string, exclusive: boolean): number {
  const bytes = Buffer.from(key, 'utf8');
  return partitionPoint(sorted.length, (i) => {
    const c = Buffer.compare(sorted[i]!.bytes, bytes);
    return c < 0 || (exclusive && c === 0);
  });
}

/** Index of the first record whose seq is above `seq` (purges leave gaps: searched, not computed). */
function firstAbove(records: readonly MemoryRecord[], seq: number): number {
  return partitionPoint(records.length, (i) => records[i]!.seq <= seq);
}

/**
 * An in-memory store implementing the full contract: the executable
 * specification the adapters are tested against, and a handy fake for users'
 * own tests. Nothing survives the process.
 */
export function createMemoryHistoryStore(options?: StoreOptions): HistoryStore {
  const resolved = resolveStoreOptions(options);
  assertKnownOptions(options ?? {}, []);
  return createBackendStore(new MemoryBackend(), resolved);
}
