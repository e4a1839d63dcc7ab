import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, StorageError } from '@history/core';
import lockfile from 'proper-lockfile';

const LOCK_DIR = 'write.lock';
const OWNER_FILE = 'write.lock.owner.json';

interface Owner {
  pid: number;
  hostname: string;
  since: string;
}

export interface RootLock {
  /** Set when the lock was lost (its directory removed or not refreshable): writes must stop. */
  readonly compromised: Error | undefined;
  release(): Promise<void>;
}

/**
 * Takes the exclusive write lock on `root` for the store's lifetime.
 * proper-lockfile refreshes the lock directory's mtime and treats it as stale
 * 10 s after its holder stopped; a holder on this host whose pid is gone (a
 * crash, SIGKILL) is recognised at once from the owner file, so a restart need
 * not wait.
 */
export async function acquireRootLock(root: string): Promise<RootLock> {
  const lockPath = join(root, LOCK_DIR);
  const ownerPath = join(root, OWNER_FILE);
  let compromised: Error | undefined;
  const lockOnce = () =>
    lockfile.lock(root, {
      lockfilePath: lockPath,
      realpath: false,
      stale: 10_000,
      retries: 0,
      onCompromised: (error) => {
        compromised = error;
      },
    });

  let release: () => Promise<void>;
  try {
    release = await lockOnce();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
      throw new StorageError(`file: cannot lock ${root}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const owner = await readOwner(ownerPath);
    if (
      !owner ||
      owner.hostname !== hostname() ||
      owner.pid === process.pid ||
      isAlive(owner.pid)
    ) {
      throw lockedError(root, owner, error);
    }
    // The holder died without releasing: forget its owner file first, so a third process does not
    // mistake our fresh lock for the dead one.
    await unlink(ownerPath).catch(() => {});
    await rm(lockPath, { recursive: true, force: true });
    try {
      release = await lockOnce();
    } catch (retryError) {
      throw lockedError(root, undefined, retryError);
    }
  }
  const owner: Owner = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  await writeFile(ownerPath, JSON.stringify(owner));
  let released = false;
  return {
    get compromised() {
      return compromised;
    },
    async release() {
      if (released) return;
      released = true;
      await unlink(ownerPath).catch(() => {});
      await release().catch(() => {});
    },
  };
}

function lockedError(root: string, owner: Owner | undefined, cause: unknown): LockedError {
  const by = owner ? ` by pid ${owner.pid} on ${owner.hostname} since ${owner.since}` : '';
  return new LockedError(
    `History store at ${root} is locked${by}: only one process (one store) may write to a root at a time; close the other store first`,
    { cause },
  );
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof owner.pid === 'number' && typeof owner.hostname === 'string') {
      return { pid: owner.pid, hostname: owner.hostname, since: String(owner.since) };
    }
  } catch {
    // Missing or half-written: the owner is unknown.
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
