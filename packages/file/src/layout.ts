import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaVersionError, StorageError } from '@history/core';
import { buildFeed } from './build-feed.js';
import { ensureDir, replaceFile } from './fs-sync.js';

/**
 * Version of the on-disk layout:
 * - `history-file.json`: this marker.
 * - `sessions/<segments>.jsonl`: one record per line (see record-line.ts), after a meta
 *   line once compacted (see meta-line.ts).
 * - `sessions/<segments>.idx`: sparse line → byte offset index (see session-index.ts).
 * - `sessions/<segments>.checkpoint.json`: the latest checkpoint.
 * - `sessions/<segments>.tombstone`: the last seq of a deleted session (see tombstone.ts).
 * - `feed.idx`: the feed index, the commit order of every session's records (see
 *   feed-index.ts).
 *
 * Version 2 added the expiry to record lines, meta lines, tombstones, and seq gaps (purges).
 * Every version 1 file is a valid version 2 file, so the upgrade only rewrites this
 * marker (atomically), recording `upgradedFrom` for good: lines written before have no
 * expiry in their head, and `recordExpiry` computes it from their envelope. Version 1 code
 * refuses a version 2 root (it would restart the seqs of a deleted session at 1).
 *
 * Version 3 added the feed index. Upgrading a version 1 or 2 root builds it from the
 * session files (see build-feed.ts), then rewrites the marker, keeping `upgradedFrom: 1`
 * of a root that came from version 1; a crash before the marker builds it again. Older code
 * refuses a version 3 root: its appends would be missing from the feed.
 */
export const LAYOUT_VERSION = 3;
const MARKER = 'history-file.json';
export const SESSIONS_DIR = 'sessions';

/** What the layout found tells the store. */
export interface Layout {
  /** Upgraded from layout 1: some lines may hold a ttl without an expiry (see record-expiry.ts). */
  legacy: boolean;
}

/** Creates the layout in `root`, or checks the one found there is one this package can read, upgrading it. */
export async function prepareLayout(root: string, durable: boolean): Promise<Layout> {
  await ensureDir(join(root, SESSIONS_DIR), durable);
  const markerPath = join(root, MARKER);
  let text: string | undefined;
  try {
    text = await readFile(markerPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Under the root's lock: no other writer uses the temp name.
  const writeMarker = (upgradedFrom?: unknown) => {
    const marker = { format: '@history/file', version: LAYOUT_VERSION, upgradedFrom };
    return replaceFile(markerPath, `${markerPath}.tmp`, JSON.stringify(marker), durable);
  };
  if (text === undefined) {
    await writeMarker();
    return { legacy: false };
  }
  const { marker, version, legacy } = parseMarker(markerPath, text);
  if (version < LAYOUT_VERSION) {
    await buildFeed(root, durable);
    await writeMarker(marker.upgradedFrom ?? version);
  }
  return { legacy };
}

/**
 * The layout of a root opened read-only, which must not write: a root that is not a store
 * yet, or of an older layout (an upgrade writes), fails with a `StorageError` asking for one
 * read-write open.
 */
export async function checkLayout(root: string): Promise<Layout> {
  const markerPath = join(root, MARKER);
  let text: string;
  try {
    text = await readFile(markerPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new StorageError(
      `file: ${root} is not a history store (no ${MARKER}); a read-only open needs a root opened read-write once`,
    );
  }
  const { version, legacy } = parseMarker(markerPath, text);
  if (version < LAYOUT_VERSION) {
    throw new StorageError(
      `file: ${root} has layout ${version}; open it read-write once to upgrade it to ${LAYOUT_VERSION} before opening it read-only`,
    );
  }
  return { legacy };
}

function parseMarker(
  markerPath: string,
  text: string,
): { marker: { upgradedFrom?: unknown }; version: number; legacy: boolean } {
  let marker: { version?: unknown; upgradedFrom?: unknown };
  try {
    marker = JSON.parse(text) as typeof marker;
  } catch {
    marker = {};
  }
  const { version } = marker;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new StorageError(`file: ${markerPath} is not a valid layout marker`);
  }
  if (version > LAYOUT_VERSION) throw new SchemaVersionError(version, LAYOUT_VERSION);
  return { marker, version, legacy: version === 1 || marker.upgradedFrom === 1 };
}
