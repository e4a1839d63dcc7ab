import { channel } from 'node:diagnostics_channel';
import type { ReplicaRead } from './replica-options.js';

/** What a store with a `replica` reports for each read the replica may serve. */
export interface ReplicaReadMetrics {
  kind: 'replica-read';
  store: 'postgres';
  /** The read: a `stream` (each `follow` round too), a `feed` page, a `listSessions` page or a `getSession`. */
  operation: ReplicaRead;
  /** Where it was served. */
  server: 'replica' | 'primary';
  /**
   * Why the primary served it: `'lag'`, the replica had not replayed what the read must see
   * within `maxWaitMs`; `'error'`, the replica failed (the read was then run on the primary);
   * `'unavailable'`, the replica failed shortly before and is left alone for a while.
   */
  reason?: 'lag' | 'error' | 'unavailable';
  /** Milliseconds spent waiting for the replica to replay before reading. */
  waitedMs: number;
  /** The replica's error, with `reason: 'error'`. */
  error?: unknown;
}

/** `node:diagnostics_channel` name replica-routed reads publish `ReplicaReadMetrics` on. */
export const REPLICA_CHANNEL = 'history:replica';

export const replicaChannel = channel(REPLICA_CHANNEL);
