import type { Latency } from './measure.js';
import type { Sizes } from './sizes.js';
import type { describeWorkload } from './workload.js';

export type Kind = 'adapter' | 'baseline' | 'ceiling' | 'floor';
export const SCENARIOS = [
  'ingest',
  'concurrent',
  'replay',
  'checkpoint',
  'lifecycle',
  'follow',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface IngestResult {
  events: number;
  bytes: number;
  seconds: number;
  /** Median of the rounds' rates (see `rounds.ts`). */
  eventsPerSec: number;
  roundEventsPerSec: number[];
  mbPerSec: number;
  eventLoopDelayP99Ms: number;
  /** Longest garbage-collection pause during the phase. */
  gcMaxPauseMs: number;
}

export interface ConcurrentResult {
  producers: number;
  events: number;
  seconds: number;
  /** Median of the rounds' rates (see `rounds.ts`). */
  eventsPerSec: number;
  roundEventsPerSec: number[];
  /** Per-append latency; a floor has none (it serves the producers in lock-step). */
  appendLatency?: Latency;
  /** The median of the rounds' own append p99s (see `medianRoundPercentile`). */
  appendP99MedianRoundMs?: number;
  eventLoopDelayP99Ms: number;
  gcMaxPauseMs: number;
}

/** Bulk ingest spread over many sessions: the rate, and the descriptors the process held. */
export interface ManySessionsResult extends IngestResult {
  sessions: number;
  /** Sessions created per second by the untimed first pass (each session's first event). */
  sessionsCreatedPerSec: number;
  /** Most file descriptors open in the process at a round's end, minus those open before. */
  peakOpenFdsAdded: number | null;
}

/** Latency of streaming whole sessions of one size, start to end. */
export interface WholeSessionResult {
  events: number;
  sessions: number;
  latency: Latency;
  eventLoopDelayP99Ms: number;
  gcMaxPauseMs: number;
}

export interface ReplayResult {
  deepEvents: number;
  fullStreamEvents: number;
  /** Untimed setup, reported for information: how fast the replay sessions were loaded. */
  loadSeconds: number;
  page: Latency;
  afterDeep: Latency;
  fullStream: Latency;
  eventLoopDelayP99Ms: number;
  gcMaxPauseMs: number;
}

export interface CheckpointResult {
  sessions: number;
  getCheckpoint: Latency;
}

/** `purgeExpired()` of events loaded already expired, while producers keep appending. */
export interface PurgeScenarioResult {
  expiredEvents: number;
  /** Events that must survive the purge: the sessions' live events (no ttl, or a far one). */
  liveEvents: number;
  sessions: number;
  /** Untimed: how long `appendMany` took to load the expired and live events. */
  loadSeconds: number;
  producers: number;
  /** Per-append latency of the producers with no purge running, on the loaded store. */
  idleAppendLatency: Latency;
  /** The same producers' appends made while `purgeExpired()` ran. */
  purgeAppendLatency: Latency;
  /** Append p99 during the purge over idle p99: the target is at most 2. */
  p99OverIdle: number;
  /** From the `purgeExpired()` call until it resolved. */
  purgeSeconds: number;
  purgedPerSec: number;
  eventLoopDelayP99Ms: number;
  gcMaxPauseMs: number;
}

/** `listSessions` paging through many sessions, timed per page of the iterator. */
export interface ListSessionsScenarioResult {
  sessions: number;
  /** Sessions per timed page: core asks the backend for this many at a time. */
  pageSize: number;
  /** Untimed: how long creating the sessions (one event each, `appendMany`) took. */
  loadSeconds: number;
  /** Time between successive page boundaries of the iterator, every timed pass. */
  page: Latency;
  /** Whole passes over every session, in seconds. */
  passSeconds: number[];
  /** Passes stopped after 60 s (a page cost growing with the sessions): their pages are in `page`. */
  incompletePasses: number;
}

/** The lifecycle scenario: run on a fresh store of its own, after the others, adapters only. */
export interface LifecycleResult {
  purge?: PurgeScenarioResult;
  listSessions?: ListSessionsScenarioResult;
  /** Its own, so a million held events do not move the run's RSS figures. */
  peakRssMb: number;
  rssGrowthMb: number;
  seconds: number;
}

/** Append-to-delivery latency of followers, one append at a time. */
export interface DeliveryResult {
  appends: number;
  /** A `stream(sessionId, { follow: true })` follower in the writer's process. */
  sameProcessStream: Latency;
  /** A `feed({ follow: true })` follower in the writer's process. */
  sameProcessFeed: Latency;
  /** A `feed({ follow: true })` follower in another process, with the store's default intervals. */
  crossProcessFeed: Latency | null;
  /** Why there is no cross-process figure (the memory store lives in one process). */
  crossProcessSkipped?: string;
}

/** Reading back everything stored: the feed against whole-session streams of the same events. */
export interface CatchUpResult {
  events: number;
  sessions: number;
  /** Untimed: how long `appendMany` took to load them. */
  loadSeconds: number;
  /** `feed()` from the start to its end: median of the rounds. */
  feedEventsPerSec: number;
  /** `stream()` of every session whole, one after another: median of the rounds. */
  replayEventsPerSec: number;
  /** feedEventsPerSec / replayEventsPerSec: the target is at least 0.5. */
  feedOverReplay: number;
}

/** The follow scenario: run on a fresh store of its own, after the others, adapters only. */
export interface FollowResult {
  delivery?: DeliveryResult;
  catchUp?: CatchUpResult;
  seconds: number;
}

/** One store, baseline, ceiling or floor, run through the selected scenarios. */
export interface RunResult {
  error?: string;
  peakRssMb?: number;
  /** Peak RSS minus RSS when the run started: what the run added on top of the shared workload. */
  rssGrowthMb?: number;
  seconds?: number;
  /** `appendMany` of `batchSize` envelopes interleaved over `ingestSessions` sessions. */
  ingest?: IngestResult;
  /** The same over `manySessions` sessions. */
  manySessions?: ManySessionsResult;
  /** `appendMany` of one session's next `turnEvents` events per call (an agent flushing a turn). */
  turns?: IngestResult;
  /** One result per producer count. */
  concurrent?: ConcurrentResult[];
  /** One result per session size. */
  wholeSessions?: WholeSessionResult[];
  replay?: ReplayResult;
  checkpoint?: CheckpointResult;
  lifecycle?: LifecycleResult;
  follow?: FollowResult;
}

export interface AdapterResult {
  adapter: string;
  settings: Record<string, string>;
  /** Set when the adapter could not be run at all (e.g. it failed to import). */
  error?: string;
  runs: {
    adapter: RunResult;
    baseline: RunResult | null;
    ceiling: RunResult | null;
    /** The raw driver serving the concurrent producers; for `memory`, JSON.stringify alone. */
    floor: RunResult | null;
  };
}

export interface TargetCheck {
  adapter: string;
  target: string;
  /** The measured figure (a ratio or milliseconds), null when it could not be measured. */
  value: number | null;
  threshold: number;
  unit: 'ratio' | 'x' | 'ms' | 'count';
  pass: boolean;
  /** Context for reading a miss, e.g. what the memory store (core alone) reaches on the same target. */
  note?: string;
}

export interface BenchResult {
  version: 1;
  mode: 'quick' | 'full' | 'custom';
  seed: number;
  startedAt: string;
  seconds: number;
  command: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    platform: string;
    node: string;
    /** 1/5/15-minute load averages: other work on the machine skews every figure. */
    loadAverageAtStart: number[];
    /** Event-loop delay p99 of this process doing nothing for a second before the run. */
    idleEventLoopDelayP99Ms: number;
    loadAverageAtEnd: number[];
  };
  postgres: string | null;
  workload: ReturnType<typeof describeWorkload>;
  sizes: Sizes;
  scenarios: Scenario[];
  adapters: AdapterResult[];
  targets: TargetCheck[];
  processPeakRssMb: number;
}
