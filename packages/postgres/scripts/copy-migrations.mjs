// Copies the repository's migrations/postgres/*.sql into the package, so the
// published tarball carries the schema it migrates to.
import { cp, mkdir, rm } from 'node:fs/promises';

const source = new URL('../../../migrations/postgres/', import.meta.url);
const target = new URL('../migrations/', import.meta.url);
await rm(target, { recursive: true, force: true });
await mkdir(target, { recursive: true });
await cp(source, target, { recursive: true, filter: (path) => !path.endsWith('.md') });
