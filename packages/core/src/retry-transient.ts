import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Delay before the first retry; each further one doubles it. */
  retryDelayMs: number;
  isTransient(error: unknown): boolean;
}

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; transient: boolean; attempts: number };

/**
 * The delay before retry number `attempt` (1-based): the doubling backoff,
 * jittered to between half and all of it, so processes that failed together
 * (two writers on one SQLite lock, many clients after a PostgreSQL failover)
 * do not retry in lockstep.
 */
export function retryDelay(
  baseMs: number,
  attempt: number,
  random: () => number = Math.random,
): number {
  const full = baseMs * 2 ** (attempt - 1);
  return full / 2 + (random() * full) / 2;
}

/** Runs `operation` until it succeeds, fails with an error that is not transient, or runs out of retries. */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
): Promise<RetryOutcome<T>> {
  for (let attempts = 1; ; attempts++) {
    try {
      return { ok: true, value: await operation(), attempts };
    } catch (error) {
      const transient = policy.isTransient(error);
      if (!transient || attempts > policy.retries) return { ok: false, error, transient, attempts };
      await sleep(retryDelay(policy.retryDelayMs, attempts));
    }
  }
}
