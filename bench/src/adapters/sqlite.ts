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
  },
  async openStore(ctx) {
    const create = await loadFactory('@history/sqlite', 'createSqliteHistoryStore');
    return create({ filename: join(ctx.dir, 'history.sqlite'), durability: DURABILITY });
  },
  openBaseline: (ctx) => openSqliteBaseline(ctx.dir),
  openCeiling: (ctx) => openSqliteCeiling(ctx.dir, 'NORMAL'),
  openFloor: (ctx) => openSqliteFloor(ctx.dir),
};
