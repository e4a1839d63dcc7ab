import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Paths of the files under `root` whose bytes contain `marker` (every file read whole). */
export async function filesContaining(root: string, marker: string): Promise<string[]> {
  const needle = Buffer.from(marker, 'utf8');
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) found.push(path);
  }
  return found;
}
