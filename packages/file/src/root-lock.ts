import { randomUUID } from 'node:crypto';
import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, StorageError } from '@history/core';

const LOCK_DIR = 'write.lock';
/** The holder touches its owner file this often; one untouched for STALE_MS is abandoned. */
const REFRESH_MS = 5_000;
const STALE_MS = 10_000;

interface Owner {
  pid: number;
  hostname: string;
  since: string;
}

/** The owner file found in the lock directory: its unique name, what it says, when last touched. */
interface Holder {
  name: string;
  owner: Owner | undefined;
  touchedMs: number;
}

export interface RootLock {
  /** Set when the lock was lost (its owner file removed or not refreshable): writes must stop. */
  readonly compromised: Error | undefined;
  release(): Promise<void>;
}

/**
 * Takes the exclusive write lock on `root` for the store's lifetime.
 *
 * The lock is the directory `write.lock` holding one file, `owner-<random id>.json` (pid, host).
 * Every step that can decide who holds it is a single atomic file system operation, so
 * processes racing to open, or to take over from a dead holder, cannot both win:
 * - A lock directory is staged complete beside the root and renamed into place. Renaming a
 *   directory onto a non-empty one fails, so exactly one racer lands and a lock is never seen
 *   without its owner.
 * - Taking over from a dead holder deletes that holder's owner file by its unique name (never
 *   reused, so a late racer cannot delete a lock someone took meanwhile), then removes the
 *   directory only if it is empty, then renames its own into place like any opener.
 * A holder is dead when its pid is gone on this host (a crash or SIGKILL, recognised at once)
 * or when its owner file was not touched for 10 s (any host).
 */
export async function acquireRootLock(root: string): Promise<RootLock> {
  const lockPath = join(root, LOCK_DIR);
  const id = randomUUID();
  const ownerName = `owner-${id}.json`;
  const staged = join(root, `${LOCK_DIR}.${id}.tmp`);
  const owner: Owner = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  try {
    await mkdir(staged);
    await writeFile(join(staged, ownerName), JSON.stringify(owner));
    // Twice at most: a dead holder's lock is cleared once; if our rename still fails, a live
    // process won the race.
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(staged, lockPath);
        break;
      } catch (error) {
        if (!isOccupied(error)) throw error;
      }
      const holder = await readHolder(lockPath);
      if ((holder && !isDead(holder)) || attempt > 0) throw lockedError(root, holder?.owner);
      if (holder) await unlink(join(lockPath, holder.name)).catch(ignore('ENOENT'));
      await rmdir(lockPath).catch(ignore('ENOENT', 'ENOTEMPTY', 'EEXIST'));
    }
  } catch (error) {
    await rm(staged, { recursive: true, force: true }).catch(() => {});
    if (LockedError.isInstance(error)) throw error;
    throw new StorageError(`file: cannot lock ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return holdLock(lockPath, ownerName);
}

/**
 * Whether a live process holds the root's write lock now (a dead or stale holder, as
 * `acquireRootLock` judges them, does not count). Reads only; takes nothing.
 */
export async function isRootLocked(root: string): Promise<boolean> {
  const holder = await readHolder(join(root, LOCK_DIR));
  return holder !== undefined && !isDead(holder);
}

/** Keeps the owner file touched (so it never looks abandoned) and notices when it is gone. */
function holdLock(lockPath: string, ownerName: string): RootLock {
  const ownerPath = join(lockPath, ownerName);
  let compromised: Error | undefined;
  let lastTouched = Date.now();
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(ownerPath, now, now).then(
      () => {
        lastTouched = now.getTime();
      },
      (error: NodeJS.ErrnoException) => {
        // Gone: another process took the lock over. Otherwise it may look abandoned by now.
        if (error.code === 'ENOENT' || Date.now() - lastTouched >= STALE_MS) {
          compromised ??= new Error(
            `its owner file ${ownerPath} is gone or untouchable: ${error.message}`,
          );
        }
      },
    );
  }, REFRESH_MS);
  refresh.unref();
  let released = false;
  return {
    get compromised() {
      return compromised;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(refresh);
      // Our file by name, then the directory only if empty: never another process's lock.
      await unlink(ownerPath).catch(() => {});
      await rmdir(lockPath).catch(() => {});
    },
  };
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const name = (await readdir(lockPath)).find((n) => n.startsWith('owner-'));
    if (!name) return undefined;
    const path = join(lockPath, name);
    const touchedMs = (await stat(path)).mtimeMs;
    return { name, owner: parseOwner(await readFile(path, 'utf8')), touchedMs };
  } catch (error) {
    // The lock vanished while we looked (released or taken over): no holder to judge.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseOwner(text: string): Owner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<Owner>;
    if (typeof owner.pid === 'number' && typeof owner.hostname === 'string') {
      return { pid: owner.pid, hostname: owner.hostname, since: String(owner.since) };
    }
  } catch {
    // Unreadable: the owner is unknown, only the staleness rule applies.
  }
  return undefined;
}

function isDead({ owner, touchedMs }: Holder): boolean {
  if (Date.now() - touchedMs >= STALE_MS) return true;
  return owner !== undefined && owner.hostname === hostname() && !isAlive(owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How a rename onto a lock directory that is held fails (EPERM: Windows, any existing one). */
function isOccupied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM';
}

function ignore(...codes: string[]): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (!codes.includes(error.code ?? '')) throw error;
  };
}

function lockedError(root: string, owner: Owner | undefined): LockedError {
  const by = owner ? ` by pid ${owner.pid} on ${owner.hostname} since ${owner.since}` : '';
  return new LockedError(
    `History store at ${root} is locked${by}: only one process (one store) may write to a root at a time; close the other store first`,
  );
}
