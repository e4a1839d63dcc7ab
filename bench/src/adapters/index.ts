import type { AdapterRunner } from '../subject.js';
import { fileRunner } from './file.js';
import { memoryRunner } from './memory.js';
import { postgresRunner } from './postgres.js';
import { sqliteRunner } from './sqlite.js';

export const ADAPTERS: Record<string, AdapterRunner> = {
  memory: memoryRunner,
  file: fileRunner,
  sqlite: sqliteRunner,
  postgres: postgresRunner,
};

/** `memory` first: the store with no storage at all, i.e. what core's validation and writer cost. */
export const DEFAULT_ADAPTERS = ['memory', 'file', 'sqlite', 'postgres'];
