import { openFileBaseline } from '../baselines/file.js';
import { openFileCeiling } from '../ceilings/file.js';
import { openFileFloor } from '../floors/file.js';
import type { AdapterRunner } from '../subject.js';
import { loadFactory } from './load-factory.js';

/** `os`: written to the page cache before resolving, like the baseline and the ceiling. */
const DURABILITY = 'os';

export const fileRunner: AdapterRunner = {
  name: 'file',
  settings: { durability: DURABILITY, baseline: 'mkdir + appendFile per event, no fsync' },
  sharedStorage: true,
  async openStore(ctx) {
    const create = await loadFactory('@history/file', 'createFileHistoryStore');
    // Another process's follower of the writer's root opens it read-only.
    return create(
      ctx.borrowed ? { root: ctx.dir, readOnly: true } : { root: ctx.dir, durability: DURABILITY },
    );
  },
  openBaseline: (ctx) => openFileBaseline(ctx.dir),
  openCeiling: (ctx) => openFileCeiling(ctx.dir, false),
  openFloor: (ctx) => openFileFloor(ctx.dir),
};
