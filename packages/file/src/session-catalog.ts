import { partitionPoint } from '@history/core/backend';
import { listFileSessions } from './list-sessions.js';

interface Entry {
  id: string;
  /** The id's UTF-8 bytes: listings are in byte order (`Buffer.compare`), not UTF-16 order. */
  key: Buffer;
}

/**
 * The ids of the sessions that have a data file, sorted by their UTF-8 bytes,
 * for keyset pages of `listSessions` and the rounds of a purge. Built by one
 * walk of the sessions directory on first use, then kept current by the store,
 * which is the root's only writer (sessions created by its batches are added,
 * deleted ones removed): a page costs a binary search, never a directory walk.
 * It may hold an id whose file has no line yet: callers check each session.
 */
export class SessionCatalog {
  private entries: Entry[] | undefined;
  private building: Promise<Entry[]> | undefined;
  /** Sessions created since the walk started, merged in before the next lookup. */
  private pending: string[] = [];

  constructor(private readonly root: string) {}

  /** A batch gave the session its first line. */
  added(sessionId: string): void {
    if (this.building) this.pending.push(sessionId);
  }

  removed(sessionId: string): void {
    this.pending = this.pending.filter((id) => id !== sessionId);
    if (!this.entries) return;
    const key = Buffer.from(sessionId, 'utf8');
    const at = lowerBound(this.entries, key);
    if (this.entries[at]?.id === sessionId) this.entries.splice(at, 1);
  }

  /** The first id after `after` (all ids when undefined) that starts with `prefix`. */
  async next(after: string | undefined, prefix = ''): Promise<string | undefined> {
    const entries = await this.current();
    const prefixKey = Buffer.from(prefix, 'utf8');
    let at = lowerBound(entries, prefixKey);
    if (after !== undefined) at = Math.max(at, upperBound(entries, Buffer.from(after, 'utf8')));
    const entry = entries[at];
    if (!entry || !startsWith(entry.key, prefixKey)) return undefined;
    return entry.id;
  }

  private async current(): Promise<Entry[]> {
    if (!this.building) {
      // Track creations from before the walk starts: a file it misses is in `pending`.
      this.building = this.walk();
      this.building.then(
        (entries) => {
          this.entries = entries;
        },
        () => {
          this.building = undefined;
        },
      );
    }
    const entries = this.entries ?? (await this.building);
    this.entries = entries;
    if (this.pending.length > 0) {
      this.entries = merge(entries, this.pending);
      this.pending = [];
    }
    return this.entries;
  }

  private async walk(): Promise<Entry[]> {
    const entries: Entry[] = [];
    for await (const id of listFileSessions(this.root)) {
      entries.push({ id, key: Buffer.from(id, 'utf8') });
    }
    return entries.sort((a, b) => Buffer.compare(a.key, b.key));
  }
}

/** `entries` with `ids` added (sorted, without duplicates). */
function merge(entries: Entry[], ids: readonly string[]): Entry[] {
  const added = ids
    .map((id) => ({ id, key: Buffer.from(id, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key));
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < entries.length || j < added.length) {
    const a = entries[i];
    const b = added[j];
    const order = !a ? 1 : !b ? -1 : Buffer.compare(a.key, b.key);
    const next = order <= 0 ? a! : b!;
    if (order <= 0) i++;
    if (order >= 0) j++;
    if (out.at(-1)?.id !== next.id) out.push(next);
  }
  return out;
}

/** Index of the first entry whose key is at least `key`. */
function lowerBound(entries: readonly Entry[], key: Buffer): number {
  return partitionPoint(entries.length, (i) => Buffer.compare(entries[i]!.key, key) < 0);
}

/** Index of the first entry whose key is greater than `key`. */
function upperBound(entries: readonly Entry[], key: Buffer): number {
  return partitionPoint(entries.length, (i) => Buffer.compare(entries[i]!.key, key) <= 0);
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);
}
