import type { AppendResult, Envelope, HistoryStore } from '@history/core';

/** What the scenarios drive: the store API, or the naive baseline imitating it. */
export type BenchStore = Pick<
  HistoryStore,
  'append' | 'appendMany' | 'stream' | 'checkpoint' | 'getCheckpoint' | 'close'
>;

/** An adapter's store: the scenarios' API plus the session lifecycle the baselines never had. */
export type AdapterStore = BenchStore &
  Pick<HistoryStore, 'listSessions' | 'getSession' | 'purgeExpired' | 'feed'>;

/** The previous store's approach, behind the same API. */
export interface BaselineStore extends BenchStore {
  /**
   * Loads a whole session in one go, untimed: replay is then measured on the
   * same session size as the adapter's, without waiting minutes for the naive
   * per-event path to build it.
   */
  bulkLoad(envelopes: readonly Envelope[]): Promise<void>;
}

/** The previous stores' `appendMany`: one awaited `append` after another. */
export function appendOneByOne(
  append: (envelope: Envelope) => Promise<AppendResult>,
): BenchStore['appendMany'] {
  return async (envelopes) => {
    const out: AppendResult[] = [];
    for (const e of envelopes) out.push(await append(e));
    return out;
  };
}

/** A row serialised before the clock starts: the ceiling measures the driver alone. */
export interface CeilingRow {
  sessionId: string;
  seq: number;
  id: string;
  occurredAtMs: number;
  json: string;
}

/** The raw driver with no store around it: ingest only. */
export interface Ceiling {
  /** Pre-serialises rows, outside the timed section. */
  prepare(rows: readonly CeilingRow[]): unknown[];
  /** Writes one batch of prepared items and commits it. */
  writeBatch(prepared: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The raw driver serving P producers that each await their event, with
 * perfect group commit and no store around it: each round takes one envelope
 * from every producer, serialises each (`JSON.stringify`, part of any store's
 * job) and writes them all in one go. The best any store can do for them.
 */
export interface Floor {
  writeRound(envelopes: readonly Envelope[]): Promise<void>;
  close(): Promise<void>;
}

/** Where a run may put its data: a fresh directory, and for PostgreSQL a server and a schema name. */
export interface BenchContext {
  dir: string;
  pgUrl?: string;
  /** A unique, plain-identifier schema name (`[a-z0-9_]`), dropped by the runner's close. */
  schema: string;
  /** Storage another store opened and will clean up: this one's close leaves it. */
  borrowed?: boolean;
  /** PostgreSQL: hash-partition `events` into this many partitions (the scale run's second layout). */
  partitions?: number;
}

/** One adapter with its baseline and ceiling. */
export interface AdapterRunner {
  name: string;
  /** Settings the figures were taken with, for the report. */
  settings: Record<string, string>;
  openStore(ctx: BenchContext): Promise<AdapterStore>;
  openBaseline?(ctx: BenchContext): Promise<BaselineStore>;
  openCeiling?(ctx: BenchContext): Promise<Ceiling>;
  openFloor?(ctx: BenchContext): Promise<Floor>;
  /** No storage to floor (the memory store): its floor is `JSON.stringify` of the ingest events alone. */
  serialisationFloor?: boolean;
  /**
   * The baseline ingests the adapter's whole ingest workloads, not `baselineIngestEvents`:
   * for a baseline fast enough to, and whose cost grows with its table (a sample would flatter it).
   */
  fullBaselineIngest?: boolean;
  /** Another process may open a store on the same storage (not the file store: it locks its root). */
  sharedStorage?: boolean;
}
