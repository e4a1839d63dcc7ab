import { readdirSync, readFileSync } from 'node:fs';
import { StorageError } from '@history/core';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where the build copies `migrations/sqlite/*.sql`: beside `dist/` (and `src/`). */
const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** The shipped migrations, ordered by their `NNNN_` version prefix. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new StorageError(`sqlite: migrations not found in ${dir.pathname}`, { cause: error });
  }
  return names
    .flatMap((name) => {
      const match = /^(\d+)_.+\.sql$/.exec(name);
      if (!match) return [];
      return [{ version: Number(match[1]), name, sql: readFileSync(new URL(name, dir), 'utf8') }];
    })
    .sort((a, b) => a.version - b.version);
}
