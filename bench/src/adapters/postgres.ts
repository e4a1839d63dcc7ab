import { openPostgresBaseline } from '../baselines/postgres.js';
import { openPostgresCeiling } from '../ceilings/postgres.js';
import { openPostgresFloor } from '../floors/postgres.js';
import type { AdapterRunner, AdapterStore, BenchContext } from '../subject.js';
import { loadFactory } from './load-factory.js';

function urlOf(ctx: BenchContext): string {
  if (!ctx.pgUrl)
    throw new Error('no PostgreSQL: set HISTORY_PG_URL or let the bench start an embedded one');
  return ctx.pgUrl;
}

export const postgresRunner: AdapterRunner = {
  name: 'postgres',
  settings: { baseline: 'pool of 10, one INSERT ... ON CONFLICT (id) per event' },
  sharedStorage: true,
  async openStore(ctx) {
    const url = urlOf(ctx);
    const create = await loadFactory('@history/postgres', 'createPostgresHistoryStore');
    const store = await create({
      connectionString: url,
      schema: ctx.schema,
      ...(ctx.partitions ? { partitions: ctx.partitions } : {}),
    });
    // A second store on the schema (another process's follower) leaves it to the first.
    return ctx.borrowed ? store : withSchemaDrop(store, url, ctx.schema);
  },
  openBaseline: (ctx) => openPostgresBaseline(urlOf(ctx), ctx.schema),
  openCeiling: (ctx) => openPostgresCeiling(urlOf(ctx), ctx.schema),
  openFloor: (ctx) => openPostgresFloor(urlOf(ctx), ctx.schema),
};

/** Drops the adapter's schema after closing, so repeated runs leave the database as they found it. */
function withSchemaDrop(store: AdapterStore, url: string, schema: string): AdapterStore {
  return {
    append: (e) => store.append(e),
    appendMany: (e) => store.appendMany(e),
    stream: (s, r) => store.stream(s, r),
    checkpoint: (s, p, o) => store.checkpoint(s, p, o),
    getCheckpoint: (s) => store.getCheckpoint(s),
    listSessions: (o) => store.listSessions(o),
    getSession: (s) => store.getSession(s),
    purgeExpired: (o) => store.purgeExpired(o),
    feed: (o) => store.feed(o),
    async close() {
      await store.close();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
