import type pg from 'pg';
import { withClient } from './pg-connection.js';

/** Least time between the starts of two NOTIFYs of one store (commits between share one). */
export const NOTIFY_INTERVAL_MS = 5;

const isAnyError = () => true;

/**
 * Sends the schema's NOTIFY after batches commit, so that followers in other processes read
 * again at once. A NOTIFY of its own, after the batch committed, never inside the batch: a
 * notifying transaction takes a cluster-wide lock at commit, which would serialise every
 * batch's commit. Coalesced: the first commit after a quiet spell notifies at once; commits
 * while a NOTIFY is in flight, or within NOTIFY_INTERVAL_MS of its start, share one more sent
 * after that (measured: one NOTIFY per batch cost a fifth of 16 producers' throughput).
 * Failures are ignored (followers still poll every `followPollMs`); the connection is then
 * destroyed, not pooled, as it may be left inside the failed transaction.
 */
export class CommitNotifier {
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private readonly notifySql: string;

  /** `quotedChannel`: the channel as a quoted identifier. */
  constructor(
    private readonly pool: pg.Pool,
    quotedChannel: string,
  ) {
    // One round trip. A NOTIFY's transaction gets an id and a commit record: with
    // synchronous_commit on it would wait for a WAL flush of its own, for nothing (it carries
    // no data, and listeners are told at commit either way).
    this.notifySql = `BEGIN; SET LOCAL synchronous_commit = off; NOTIFY ${quotedChannel}; COMMIT`;
  }

  /** A batch committed. Never waits and never throws. */
  committed(): void {
    if (this.inFlight || this.timer) this.pending = true;
    else this.send();
  }

  /** Sends what is pending now, and resolves once no NOTIFY is in flight (before the pool ends). */
  async settled(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.send();
    }
    while (this.inFlight) await this.inFlight;
  }

  private send(): void {
    this.pending = false;
    const started = Date.now();
    this.inFlight = withClient(this.pool, (client) => client.query(this.notifySql), isAnyError)
      .then(
        () => {},
        () => {},
      )
      .then(() => {
        this.inFlight = undefined;
        if (!this.pending) return;
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.send();
          },
          Math.max(0, started + NOTIFY_INTERVAL_MS - Date.now()),
        );
      });
  }
}
