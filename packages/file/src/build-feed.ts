import { closeSync, fstatSync, openSync } from 'node:fs';
import { feedPath, writeFeedFile } from './feed-file.js';
import type { FeedRun } from './feed-runs.js';
import { readLinesForward } from './line-reader.js';
import { listFileSessions } from './list-sessions.js';
import { parseMetaLine } from './meta-line.js';
import { parseRecordLine } from './record-line.js';
import { sessionFiles } from './session-files.js';

interface TimedRun extends Omit<FeedRun, 'position'> {
  createdAt: string;
  key: Buffer;
}

/**
 * Builds the feed index of a root that has none (written before the feed existed, layout 1
 * or 2): every session file is read once, its lines grouped into runs of one commit time
 * (`createdAt`, the batch's), and the runs ordered by commit time, then session id (UTF-8
 * bytes), then seq. That is the commit order up to the millisecond; batches committed in the
 * same millisecond are ordered by session id. Lines after an unreadable one are left out, as
 * the session's own load would refuse them. Written atomically (see writeFeedFile): a crash
 * leaves no index, and the next open builds it again.
 */
export async function buildFeed(root: string, durable: boolean): Promise<void> {
  const runs: TimedRun[] = [];
  for await (const sessionId of listFileSessions(root)) {
    await collectRuns(sessionId, sessionFiles(root, sessionId).data, runs);
  }
  runs.sort(
    (a, b) =>
      (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) ||
      Buffer.compare(a.key, b.key) ||
      a.firstSeq - b.firstSeq,
  );
  let position = 1;
  const placed = runs.map(({ sessionId, firstSeq, count, offset, bytes }) => {
    const run = { position, sessionId, firstSeq, count, offset, bytes };
    position += count;
    return run;
  });
  await writeFeedFile(feedPath(root), placed, position, durable);
}

async function collectRuns(sessionId: string, path: string, out: TimedRun[]): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const key = Buffer.from(sessionId, 'utf8');
  let run: TimedRun | undefined;
  try {
    for await (const lines of readLinesForward(fd, 0, fstatSync(fd).size)) {
      for (const line of lines) {
        if (line.offset === 0 && parseMetaLine(line.text)) continue;
        const record = parseRecordLine(line.text);
        if (!record) return;
        const end = line.offset + Buffer.byteLength(line.text, 'utf8') + 1;
        if (run && run.createdAt === record.createdAt) {
          // Seqs grow along the file; a purge's gaps stay inside the run (reads skip them).
          run.count = record.seq - run.firstSeq + 1;
          run.bytes = end - run.offset;
          continue;
        }
        run = {
          sessionId,
          key,
          createdAt: record.createdAt,
          firstSeq: record.seq,
          count: 1,
          offset: line.offset,
          bytes: end - line.offset,
        };
        out.push(run);
      }
    }
  } finally {
    closeSync(fd);
  }
}
