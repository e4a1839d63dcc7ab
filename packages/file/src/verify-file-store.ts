import {
  HistoryError,
  type IntegrityReport,
  StorageError,
  type VerifyOptions,
} from '@history/core';
import {
  DuplicateIds,
  IntegrityCollector,
  optionRule,
  resolveVerifyOptions,
} from '@history/core/backend';
import { FeedCoverage } from './feed-coverage.js';
import { feedPath } from './feed-file.js';
import { checkLayout } from './layout.js';
import { sessionIdsWithFiles } from './list-sessions.js';
import { isRootLocked } from './root-lock.js';
import { DATA_EXT } from './session-files.js';
import { verifyFeedOffsets } from './verify-feed-offsets.js';
import { type VerifyContext, verifySession } from './verify-session.js';

const VERIFY_SCHEMA = { root: optionRule.path() };
/** Every file that makes a session worth checking (an index alone does not). */
const SESSION_FILE_EXTENSIONS = [DATA_EXT, '.tombstone', '.checkpoint.json'];

/**
 * Checks the file store under `options.root` without opening it for writing: it takes no
 * lock, writes nothing, repairs nothing (a torn last line is reported, not cut). Every
 * session file is read once, streaming, and the feed index twice; memory holds per session a
 * few numbers (and its seqs' ranges in the feed), plus 8 bytes per event of the largest
 * session. While a live process holds the root's lock, what its batch in progress may have
 * written (a torn or unreadable last line, lines the feed index does not have yet, their
 * index entries) is not reported. Rejects with `InvalidArgumentError` for bad options and
 * `StorageError` for a root that is not a store (or `SchemaVersionError`, a newer layout).
 */
export async function verifyFileStore(
  options: { root: string } & VerifyOptions,
): Promise<IntegrityReport> {
  const resolved = resolveVerifyOptions(options, VERIFY_SCHEMA);
  const { root } = resolved;
  const check = new IntegrityCollector(resolved);
  try {
    const { legacy } = await checkLayout(root);
    const writerActive = await isRootLocked(root);
    const feed = await FeedCoverage.read(feedPath(root), check, writerActive);
    if (!feed) {
      check.add({
        kind: 'index-mismatch',
        location: feedPath(root),
        message:
          'the feed index is missing: the feed yields nothing until the next writable open rebuilds it',
      });
    }
    const ctx: VerifyContext = {
      root,
      check,
      feed,
      writerActive,
      legacy,
      duplicates: new DuplicateIds(),
      facts: new Map(),
    };
    const seen = new Set<string>();
    for await (const sessionId of sessionIdsWithFiles(root, SESSION_FILE_EXTENSIONS)) {
      if (seen.has(sessionId)) continue;
      seen.add(sessionId);
      await verifySession(ctx, sessionId);
      await check.pause();
    }
    // Sessions the feed index names that have no file at all.
    for (const sessionId of feed?.sessions.keys() ?? []) {
      if (!seen.has(sessionId)) await verifySession(ctx, sessionId);
    }
    if (feed) await verifyFeedOffsets(ctx, feed);
  } catch (error) {
    if (HistoryError.isInstance(error) || check.isAbortReason(error)) throw error;
    throw new StorageError(
      `file: cannot verify the store at ${root}: ${String((error as Error)?.message ?? error).split('\n')[0]}`,
      {
        cause: error,
        backend: 'file',
        operation: 'verify',
      },
    );
  }
  return check.report();
}
