import type { Latency } from '../measure.js';
import type { BenchResult, ConcurrentResult } from '../results.js';
import type { ScaleLayout, ScaleSizes } from './scale-sizes.js';

/** On-disk sizes of the store's tables, every partition included, in bytes. */
export interface TableSizes {
  /** Partitions of `events` (0: a plain table). */
  eventsPartitions: number;
  /** `events`: the main fork (heap) of every partition. */
  eventsHeapBytes: number;
  /** `events`: TOAST, free-space and visibility maps (`pg_table_size` minus the heap). */
  eventsToastBytes: number;
  /** `events`: every index, by the parent index's name, summed over the partitions. */
  eventsIndexBytes: Record<string, number>;
  /** `pg_total_relation_size` of `events`, summed over its partitions. */
  eventsTotalBytes: number;
  /** `pg_total_relation_size` of `sessions` (the per-session counters), its indexes included. */
  sessionsTotalBytes: number;
  /** Rows of `events` (the sessions' `event_count`, summed), probes of earlier checkpoints included. */
  storedEvents: number;
}

/** Replay latency over every read, and the median of the rounds' own p95s (the target's). */
export interface ReplayLatency extends Latency {
  p95MedianRoundMs: number;
}

/** The figures at one checkpoint, taken the same way at every one. */
export interface ScaleCheckpoint {
  /** Events and sessions loaded (whole sessions) when it was measured. */
  events: number;
  sessions: number;
  /** Untimed figures of the load up to here (from the previous checkpoint). */
  load: {
    events: number;
    seconds: number;
    eventsPerSec: number;
    /**
     * The bulk rate at this table size: the last (up to) `ROUNDS` waves before the checkpoint,
     * each wave's rate and their median.
     */
    lastWaves: { eventsPerWave: number; roundEventsPerSec: number[]; eventsPerSec: number };
  };
  /** `VACUUM (ANALYZE)` of `events` and `sessions` before measuring (untimed). */
  vacuumSeconds: number;
  /** The untimed `CHECKPOINT` after it, which flushes the load's dirty pages before the probes. */
  checkpointSeconds: number;
  tables: TableSizes;
  /** The last `recentEvents` events of random loaded sessions (`direction: 'backward'`). */
  recentReplay: ReplayLatency;
  /** Whole random loaded sessions, start to end. */
  wholeReplay: ReplayLatency;
  /** Single appends by concurrent producers onto random loaded sessions. */
  appendExisting: ConcurrentResult;
  /** Single appends by concurrent producers, each creating a new session. */
  appendNew: ConcurrentResult;
}

export interface ScaleLayoutResult {
  layout: ScaleLayout;
  /** Hash partitions of `events` (0: a plain table). */
  partitions: number;
  error?: string;
  checkpoints: ScaleCheckpoint[];
  seconds: number;
}

/** One metric at the last checkpoint against the first: within `threshold` times its cost. */
export interface ScaleTarget {
  layout: ScaleLayout;
  metric: string;
  unit: 'ev/s' | 'ms';
  first: number | null;
  last: number | null;
  /** Cost at the last checkpoint over cost at the first (rates: first/last; latencies: last/first). */
  costRatio: number | null;
  threshold: number;
  pass: boolean;
}

/** What `pnpm bench --scale` prints and saves as `scale-<timestamp>.json` and `scale-latest.json`. */
export interface ScaleResult {
  version: 1;
  kind: 'scale';
  seed: number;
  startedAt: string;
  seconds: number;
  command: string;
  machine: BenchResult['machine'];
  postgres: string | null;
  /** `server_version` and the settings the figures depend on most. */
  server: { version: string; sharedBuffers: string; effectiveCacheSize: string } | null;
  sizes: ScaleSizes;
  /** The templates' envelope JSON (every loaded event is one of them). */
  workload: { meanBytes: number; p99Bytes: number; maxBytes: number; largeShare: number };
  layouts: ScaleLayoutResult[];
  targets: ScaleTarget[];
  processPeakRssMb: number;
}
