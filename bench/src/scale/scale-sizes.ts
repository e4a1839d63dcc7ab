/** The PostgreSQL layouts a scale run loads, one after the other. */
export const SCALE_LAYOUTS = ['plain', 'partitioned'] as const;
export type ScaleLayout = (typeof SCALE_LAYOUTS)[number];

/** How much a scale run loads, and the probes it takes at each checkpoint (the same at both). */
export interface ScaleSizes {
  /** Events loaded in all, spread evenly over `sessions` sessions. */
  events: number;
  sessions: number;
  /** The first checkpoint: events loaded when it is measured (whole sessions). */
  midpoint: number;
  layouts: ScaleLayout[];
  /** Hash partitions of the partitioned layout. */
  partitions: number;
  /** Concurrent loaders, each awaiting one `appendMany` of `batchSize` events after another. */
  loaders: number;
  batchSize: number;
  /** Sessions loaded at once, their events interleaved as concurrent agents write them. */
  waveSessions: number;
  /** Single appends: producers, each awaiting one `append` after another, and appends each. */
  producers: number;
  appendsPerProducer: number;
  /** Short recent replays: the last `recentEvents` events of a random session, `recentReads` times. */
  recentEvents: number;
  recentReads: number;
  /** Whole-session replays of random sessions. */
  wholeReads: number;
  /** Untimed reads of each kind before the timed ones (JIT, connections). */
  warmUpReads: number;
}

/** `pnpm bench --scale`: issue 15's ten million events over 100,000 sessions. */
export const SCALE: ScaleSizes = {
  events: 10_000_000,
  sessions: 100_000,
  midpoint: 1_000_000,
  layouts: [...SCALE_LAYOUTS],
  partitions: 16,
  loaders: 4,
  batchSize: 1_000,
  // 1,000 sessions of 100 events: a session's events are spread over about 100,000 rows of
  // the table (tens of heap pages), as when many agents write at once, not packed together.
  waveSessions: 1_000,
  // Rounds of 4,000 appends and of 500 and 250 reads: a round's p99 or p95 is its 40th or
  // 25th and 13th slowest, not a single stall (seconds at either checkpoint).
  producers: 16,
  appendsPerProducer: 1_000,
  recentEvents: 20,
  recentReads: 2_000,
  wholeReads: 1_000,
  warmUpReads: 200,
};

/** `pnpm bench --scale --tiny`: every code path in seconds (the smoke test). */
export const SCALE_TINY: ScaleSizes = {
  ...SCALE,
  events: 2_000,
  sessions: 50,
  midpoint: 1_000,
  partitions: 4,
  waveSessions: 10,
  producers: 4,
  appendsPerProducer: 8,
  recentEvents: 5,
  recentReads: 20,
  wholeReads: 10,
  warmUpReads: 5,
};

/**
 * `base` with the given counts; a midpoint not given is a tenth of the events, in whole
 * sessions. Throws when the counts do not split into whole sessions.
 */
export function scaleSizes(
  base: ScaleSizes,
  given: {
    events?: number | undefined;
    sessions?: number | undefined;
    midpoint?: number | undefined;
    layouts?: string[] | undefined;
  },
): ScaleSizes {
  const events = given.events ?? base.events;
  const sessions = given.sessions ?? base.sessions;
  if (sessions > events || events % sessions !== 0) {
    throw new Error(
      `--scale-events (${events}) must be a multiple of --scale-sessions (${sessions}): every session gets the same number of events`,
    );
  }
  const perSession = events / sessions;
  const tenth = Math.floor(events / 10 / perSession) * perSession;
  const midpoint =
    given.midpoint ??
    (given.events === undefined && given.sessions === undefined
      ? base.midpoint
      : Math.max(perSession, tenth));
  if (midpoint % perSession !== 0 || midpoint <= 0 || midpoint >= events) {
    throw new Error(
      `--scale-midpoint (${midpoint}) must be whole sessions of ${perSession} events, above 0 and below --scale-events (${events})`,
    );
  }
  const layouts = given.layouts ?? base.layouts;
  for (const layout of layouts) {
    if (!(SCALE_LAYOUTS as readonly string[]).includes(layout)) {
      throw new Error(`unknown layout ${layout}; known: ${SCALE_LAYOUTS.join(', ')}`);
    }
  }
  if (layouts.length === 0) throw new Error('--scale-layouts names no layout');
  return {
    ...base,
    events,
    sessions,
    midpoint,
    layouts: layouts as ScaleLayout[],
    // The same interleaving all the way: no wave larger than the first checkpoint's sessions.
    waveSessions: Math.min(base.waveSessions, midpoint / perSession),
  };
}
