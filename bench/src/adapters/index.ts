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

export const DEFAULT_ADAPTERS = ['file', 'sqlite', 'postgres'];
