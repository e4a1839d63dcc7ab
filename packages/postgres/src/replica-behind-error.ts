/**
 * A replica read gave up waiting for the replica (its replay, or the feed's horizon on it) at
 * its deadline: the read goes to the primary instead. Never reaches a caller.
 */
export class ReplicaBehindError extends Error {
  constructor() {
    super('postgres: the replica did not catch up within maxWaitMs');
  }
}
