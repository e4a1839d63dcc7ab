import type { LoadedFeed } from './feed-file.js';
import type { FeedRun } from './feed-runs.js';
import { listFileSessions } from './list-sessions.js';
import { readSessionSummary } from './read-session-summary.js';
import { sessionFiles } from './session-files.js';
import type { SessionSummary } from './session-summary.js';
import { readTombstone } from './tombstone.js';

/**
 * Makes a feed index left by a crash agree with the session files, whose own recovery
 * decides what survived (a torn last line does not count). Only the last batch can
 * disagree: its runs are written after its session lines, and under 'fsync' the file and
 * the session files are synced together, so a crash may leave
 * - runs without their lines (a power loss kept the index's line, not a session's): each
 *   session's runs are cut to its last seq handed out (its file's, or its tombstone's);
 * - lines without their run (the crash came before the index's line, or tore it): a session
 *   whose file goes past its last seq in the index gets a run for the rest, at new
 *   positions after every old one. Its place in the file is not known: reads find it by seq.
 * Costs one look at the ends of every session file (a directory walk), only after a crash.
 */
export async function reconcileFeed(
  root: string,
  loaded: LoadedFeed,
): Promise<{ runs: FeedRun[]; next: number }> {
  const lastInFeed = new Map<string, number>();
  for (let i = 0; i < loaded.runs.length; i++) {
    const run = loaded.runs.at(i);
    lastInFeed.set(run.sessionId, run.firstSeq + run.count - 1);
  }
  const sessions = new Set(lastInFeed.keys());
  for await (const sessionId of listFileSessions(root)) sessions.add(sessionId);
  /** Per session: the last seq that exists or existed, where its runs must stop. */
  const cutAt = new Map<string, number>();
  const missing: Array<Omit<FeedRun, 'position'>> = [];
  for (const sessionId of [...sessions].sort()) {
    const files = sessionFiles(root, sessionId);
    let summary: SessionSummary | undefined;
    try {
      summary = await readSessionSummary(files);
    } catch {
      // A corrupt session file: its load reports it; its runs stay as they are.
      continue;
    }
    const lastSeq = summary?.lastSeq ?? readTombstone(files);
    const inFeed = lastInFeed.get(sessionId) ?? 0;
    if (inFeed > lastSeq) cutAt.set(sessionId, lastSeq);
    if (summary && lastSeq > inFeed) {
      const firstSeq = inFeed + 1;
      missing.push({ sessionId, firstSeq, count: lastSeq - inFeed, offset: 0, bytes: 0 });
    }
  }
  const runs: FeedRun[] = [];
  for (let i = 0; i < loaded.runs.length; i++) {
    const run = loaded.runs.at(i);
    const cut = cutAt.get(run.sessionId);
    if (cut === undefined) runs.push(run);
    else if (run.firstSeq <= cut)
      runs.push({ ...run, count: Math.min(run.count, cut - run.firstSeq + 1) });
  }
  let next = loaded.next;
  for (const run of missing) {
    runs.push({ ...run, position: next });
    next += run.count;
  }
  return { runs, next };
}
