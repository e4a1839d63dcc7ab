import type pg from 'pg';
import type { CommitChannel } from './commit-channel.js';
import { withClient } from './pg-connection.js';

/** Least time between the starts of two NOTIFYs of one store (commits between share one). */
export const NOTIFY_INTERVAL_MS = 5;
/** How long a check of whether anyone listens is trusted. */
export const LISTENERS_CHECK_MS = 250;

/** Whether a connection of this database holds the channel's advisory lock: a listener lives. */
const LISTENED_SQL = `SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 1 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid
  ) AS listened`;

const isAnyError = () => true;

/**
 * Sends the schema's NOTIFY after batches commit, so that followers in other processes read
 * again at once. A NOTIFY of its own, after the batch committed, never inside the batch: a
 * notifying transaction takes a cluster-wide lock at commit, which would serialise every
 * batch's commit. Coalesced: the first commit after a quiet spell notifies at once; commits
 * while a NOTIFY is in flight, or within NOTIFY_INTERVAL_MS of its start, share one more sent
 * after that (measured: one NOTIFY per batch cost a fifth of 16 producers' throughput).
 * Only while someone listens: every listener holds the channel's advisory lock, and whether
 * one does is checked at most every LISTENERS_CHECK_MS (one `pg_locks` read), so a store no
 * other process follows sends no NOTIFY at all (measured: NOTIFYs at most every 5 ms still
 * cost 16 producers a tenth of their throughput). A commit made while the last check is stale
 * waits for the next one, which is started at once; a listener that appeared since is then
 * told of it. A follower that starts listening finds earlier commits by reading once.
 * Failures are ignored (followers still poll every `followPollMs`); the connection is then
 * destroyed, not pooled, as it may be left inside the failed transaction. A failed check
 * counts as listened: a NOTIFY too many costs less than a follower woken late.
 */
export class CommitNotifier {
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private readonly notifySql: string;
  /** Whether a listener held the lock at the last check, and when that check started. */
  private listened = false;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  /** A commit came while a check ran: notify once it says someone listens. */
  private awaitingCheck = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: CommitChannel,
  ) {
    // One round trip. A NOTIFY's transaction gets an id and a commit record: with
    // synchronous_commit on it would wait for a WAL flush of its own, for nothing (it carries
    // no data, and listeners are told at commit either way).
    this.notifySql = `BEGIN; SET LOCAL synchronous_commit = off; NOTIFY ${channel.quoted}; COMMIT`;
  }

  /** A batch committed. Never waits and never throws. */
  committed(): void {
    if (Date.now() - this.checkedAt < LISTENERS_CHECK_MS) {
      if (this.listened) this.notify();
      return;
    }
    this.awaitingCheck = true;
    this.checking ??= this.check();
  }

  private async check(): Promise<void> {
    this.checkedAt = Date.now();
    try {
      const { rows } = await this.pool.query<{ listened: boolean }>(LISTENED_SQL, [
        this.channel.lockKey,
      ]);
      this.listened = rows[0]?.listened === true;
    } catch {
      this.listened = true;
    }
    this.checking = undefined;
    if (this.awaitingCheck && this.listened) this.notify();
    this.awaitingCheck = false;
  }

  private notify(): void {
    if (this.inFlight || this.timer) this.pending = true;
    else this.send();
  }

  /** Sends what is pending now, and resolves once no NOTIFY is in flight (before the pool ends). */
  async settled(): Promise<void> {
    await this.checking;
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
