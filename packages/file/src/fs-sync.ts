import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';

/** Fsyncs a directory so entries created or renamed in it survive a power loss. */
export async function fsyncDir(path: string): Promise<void> {
  const fd = await open(path, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/**
 * Creates `dir` (and parents) when missing. With `durable`, fsyncs every
 * directory whose entries changed, so the new path survives a power loss.
 */
export async function ensureDir(dir: string, durable: boolean): Promise<void> {
  const made = await mkdir(dir, { recursive: true });
  if (!made || !durable) return;
  // `made` is the first directory created; it and all below it are new entries.
  const parents = [dirname(made)];
  let current = made;
  for (const part of relative(made, dir).split(sep).filter(Boolean)) {
    parents.push(current);
    current = `${current}${sep}${part}`;
  }
  for (const parent of parents) await fsyncDir(parent);
}

/**
 * Atomically replaces `path` with `text`: written to `temp` beside it, fsynced,
 * renamed over the target; with `durable`, the directory is fsynced too so the
 * rename itself survives a power loss. If any step fails (a full disk, a
 * rename refused), the temp file is removed before the error is thrown. The
 * caller owns `temp`: no other write may use it at the same time.
 */
export async function replaceFile(
  path: string,
  temp: string,
  text: string,
  durable: boolean,
): Promise<void> {
  try {
    const fd = await open(temp, 'w', 0o644);
    try {
      await fd.writeFile(text, 'utf8');
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  if (durable) await fsyncDir(dirname(path));
}
