import type { AdapterRunner } from '../subject.js';
import { loadFactory } from './load-factory.js';

/** The in-memory reference store: no baseline or ceiling, a yardstick for the store's own overhead. */
export const memoryRunner: AdapterRunner = {
  name: 'memory',
  settings: {},
  serialisationFloor: true,
  async openStore() {
    const create = await loadFactory('@history/core', 'createMemoryHistoryStore');
    return create({});
  },
};
