import { createBackendStore } from './create-backend-store.js';
import type { HistoryBackend, StoredCheckpoint, StoredRecord } from './history-backend.js';
import { inTimeRange, type NormalizedRange } from './history-range.js';
import type { AppendResult, HistoryStore } from './history-store.js';
import { DEFAULT_PAGE_BYTES } from './page-bytes.js';
import { assertKnownOptions, resolveStoreOptions, type StoreOptions } from './store-options.js';

interface MemoryRecord extends StoredRecord {
  occurredAtMs: number;
}

interface MemorySession {
  records: MemoryRecord[];
  seqById: Map<string, number>;
}

const PAGE_SIZE = 256;

/** The reference backend: the contract in its simplest executable form. */
export class MemoryBackend implements HistoryBackend {
  readonly name = 'memory';
  private readonly sessions = new Map<string, MemorySession>();
  private readonly checkpoints = new Map<string, StoredCheckpoint>();

  /** `pageBytes`: byte budget of a stream page (tests make it small). */
  constructor(private readonly pageBytes = DEFAULT_PAGE_BYTES) {}

  async writeBatch(records: Parameters<HistoryBackend['writeBatch']>[0]): Promise<AppendResult[]> {
    const createdAt = new Date().toISOString();
    return records.map((r) => {
      let session = this.sessions.get(r.sessionId);
      if (!session) {
        session = { records: [], seqById: new Map() };
        this.sessions.set(r.sessionId, session);
      }
      const existing = session.seqById.get(r.id);
      if (existing !== undefined) {
        return { id: r.id, sessionId: r.sessionId, seq: existing, duplicate: true };
      }
      const seq = session.records.length + 1;
      session.seqById.set(r.id, seq);
      session.records.push({
        seq,
        sessionId: r.sessionId,
        id: r.id,
        json: r.json,
        createdAt,
        occurredAtMs: r.occurredAtMs,
      });
      return { id: r.id, sessionId: r.sessionId, seq, duplicate: false };
    });
  }

  async *readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    const records = this.sessions.get(sessionId)?.records ?? [];
    const forward = range.direction === 'forward';
    // seq n lives at index n - 1.
    let i = forward
      ? (range.after ?? 0)
      : Math.min(records.length, (range.after ?? records.length + 1) - 1) - 1;
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0 && i >= 0 && i < records.length) {
      const page: StoredRecord[] = [];
      let bytes = 0;
      while (page.length < PAGE_SIZE && left > 0 && i >= 0 && i < records.length) {
        const r = records[i]!;
        if (!inTimeRange(r.occurredAtMs, range)) {
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

  async writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.checkpoints.set(checkpoint.sessionId, { ...checkpoint });
  }

  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    return this.checkpoints.get(sessionId) ?? null;
  }

  async close(): Promise<void> {}
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
