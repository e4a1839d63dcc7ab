import { type RunningPgBouncer, startPgBouncer } from '@history/test-services/pgbouncer';
import { afterAll, beforeAll } from 'vitest';
import type { PgTarget } from './global-setup.js';
import { pgTargets } from './pg-fixtures.js';

/**
 * The server PgBouncer fronts in these tests: the machine's PostgreSQL 15 (HISTORY_PG_URL)
 * when set, else the embedded one.
 */
export function bouncerUpstream(): PgTarget {
  const targets = pgTargets();
  return targets.find((t) => t.name === 'HISTORY_PG_URL') ?? targets[0]!;
}

/**
 * PgBouncer in transaction pooling mode in front of `upstream`, started before the enclosing
 * suite's tests and stopped after them; read `url` once a test runs. `poolSize` server
 * connections (few, so that clients share them and anything relying on a session breaks).
 */
export function pgBouncerForSuite(upstream: PgTarget, poolSize = 4): { readonly url: string } {
  let bouncer: RunningPgBouncer | undefined;
  beforeAll(async () => {
    bouncer = await startPgBouncer({ upstreamUrl: upstream.url, poolSize });
  });
  afterAll(() => bouncer?.stop());
  return {
    get url() {
      if (!bouncer) throw new Error('PgBouncer is not running (read url inside a test)');
      return bouncer.url;
    },
  };
}
