import type pg from 'pg';
import type { CommitChannel } from './commit-channel.js';
import { LISTENERS_CHECK_MS } from './commit-notifier.js';

/** Reconnect delays after the LISTEN connection fails: doubling from the first to the last. */
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

export const LISTENER_APPLICATION_NAME = 'history-store-listener';

/**
 * `watchCommits` on PostgreSQL: one dedicated connection (not from the pool) that LISTENs on
 * the schema's channel while core has followers, and holds the channel's advisory lock (shared)
 * so that writers know someone listens; core fans each notification out to every
 * follower of the store, so a thousand followers share this one connection. After an error it
 * reconnects with backoff, and reports a commit once listening again (one may have been missed
 * meanwhile); followers still poll every `followPollMs` until then. Never throws at callers.
 */
export class CommitListener {
  private ending: Promise<void> = Promise.resolve();

  /** `newClient`: a new, unconnected client for the listener (at `listenConnectionString` when given). */
  constructor(
    private readonly newClient: () => pg.Client,
    private readonly channel: CommitChannel,
  ) {}

  watch(onCommit: () => void): () => void {
    let stopped = false;
    let client: pg.Client | undefined;
    let retryMs = FIRST_RETRY_MS;
    let timer: NodeJS.Timeout | undefined;
    let settling: NodeJS.Timeout | undefined;

    const drop = (c: pg.Client) => {
      const ended = c.end().catch(() => {});
      this.ending = Promise.all([this.ending, ended]).then(() => {});
    };
    const fail = (c: pg.Client) => {
      if (client !== c) return; // already dropped
      client = undefined;
      drop(c);
      if (stopped) return;
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    };
    const open = async () => {
      timer = undefined;
      const c = this.newClient();
      client = c;
      c.on('error', () => fail(c));
      c.on('end', () => fail(c));
      c.on('notification', () => onCommit());
      try {
        await c.connect();
        await c.query(`LISTEN ${this.channel.quoted}`);
        // Held while this connection lives: writers NOTIFY only while some listener holds it.
        await c.query('SELECT pg_advisory_lock_shared($1::bigint)', [this.channel.lockKey]);
      } catch {
        fail(c);
        return;
      }
      if (client !== c) return;
      if (retryMs > FIRST_RETRY_MS) onCommit(); // a reconnect: commits may have been missed
      retryMs = FIRST_RETRY_MS;
      // A writer that found no listener just before the lock was taken trusts that for up to
      // LISTENERS_CHECK_MS and sends no NOTIFY meanwhile: one more read once every such
      // writer has checked again finds what it committed.
      clearTimeout(settling);
      settling = setTimeout(onCommit, 2 * LISTENERS_CHECK_MS);
      settling.unref();
    };
    void open();

    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(settling);
      const c = client;
      client = undefined;
      if (c) drop(c);
    };
  }

  /** Resolves once every listener connection this made has ended. */
  async ended(): Promise<void> {
    await this.ending;
  }
}
