import { readdirSync, readFileSync } from 'node:fs';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** `-- history:no-transaction` on a line of its own: run outside a transaction (CREATE INDEX CONCURRENTLY). */
  transactional: boolean;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

// Copied here from the repository's migrations/postgres by the build (tooling/copy-migrations.mjs).
const DIRECTORY = new URL('../migrations/', import.meta.url);

let cached: readonly Migration[] | undefined;

/** The migrations shipped with this package (or in `directory`), in version order. */
export function loadMigrations(directory?: URL): readonly Migration[] {
  if (!directory && cached) return cached;
  const dir = directory ?? DIRECTORY;
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE.exec(file);
    if (!match) continue;
    const sql = readFileSync(new URL(file, dir), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql,
      transactional: !/^-- history:no-transaction$/m.test(sql),
    });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`postgres migrations: expected version ${i + 1}, found ${m.version}`);
  });
  if (!directory) cached = migrations;
  return migrations;
}

/** The schema version this package migrates to. */
export function latestVersion(): number {
  return loadMigrations().length;
}
