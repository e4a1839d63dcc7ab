// Copies the repository's migrations/<backend>/*.sql into the package being built (its
// `migrations/` folder), so the published tarball carries the schema it migrates to.
// Run from the package directory: `node ../../tooling/copy-migrations.mjs <backend>`.
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const backend = process.argv[2];
if (!backend || !/^[a-z]+$/.test(backend)) {
  console.error('usage: copy-migrations.mjs <backend>   (a folder of migrations/)');
  process.exit(2);
}
const source = new URL(`../migrations/${backend}/`, import.meta.url);
const target = join(process.cwd(), 'migrations');
await rm(target, { recursive: true, force: true });
await mkdir(target, { recursive: true });
await cp(source, target, { recursive: true, filter: (path) => !path.endsWith('.md') });
