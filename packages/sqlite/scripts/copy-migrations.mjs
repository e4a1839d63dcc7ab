// Copies the schema source of truth (repo-root migrations/sqlite) into the
// package, so the published tarball ships its own migrations.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

const from = new URL('../../../migrations/sqlite/', import.meta.url);
const to = new URL('../migrations/', import.meta.url);
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (name.endsWith('.sql')) cpSync(new URL(name, from), new URL(name, to));
}
