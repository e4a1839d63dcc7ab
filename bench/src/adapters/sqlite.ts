import { join } from 'node:path';
import { openSqliteBaseline } from '../baselines/sqlite.js';
import { openSqliteCeiling } from '../ceilings/sqlite.js';
import { openSqliteFloor } from '../floors/sqlite.js';
import type { AdapterRunner } from '../subject.js';
import { loadFactory } from './load-factory.js';

/** The adapter's default: WAL with synchronous=NORMAL; baseline, ceiling and floor use the same. */
const DURABILITY = 'normal';

export const sqliteRunner: AdapterRunner = {
  name: 'sqlite',
  settings: {
    durability: DURABILITY,
    baseline: 'WAL, synchronous=NORMAL, one autocommit INSERT per event on the main thread',
    'baseline ingest': "the adapter's events",
  },
  // Its random-key inserts slow as the table grows: about 27,000 ev/s over the first 300
  // events, 17,000 over 20,000 (2-core AMD EPYC, 2026-11-27); a 300-event sample flattered it.
  fullBaselineIngest: true,
  sharedStorage: true,
  async openStore(ctx) {
    const create = await loadFactory('@history/sqlite', 'createSqliteHistoryStore');
    return create({ filename: join(ctx.dir, 'history.sqlite'), durability: DURABILITY });
  },
  openBaseline: (ctx) => openSqliteBaseline(ctx.dir),
  openCeiling: (ctx) => openSqliteCeiling(ctx.dir, 'NORMAL'),
  openFloor: (ctx) => openSqliteFloor(ctx.dir),
};
