import { StorageError } from '@history/core';
import { type FeedLine, parseFeedLine } from './feed-line.js';
import type { FeedRuns } from './feed-runs.js';
import { readLinesForward } from './line-reader.js';

/** A good line of the feed index file, and the byte just past its newline. */
export interface ReadFeedLine {
  line: FeedLine;
  end: number;
}

/**
 * The good lines of the feed index file between `start` and `end` (both at line starts), in
 * order. An unreadable line ends them when it is the last one (an append torn by a crash, or
 * still being written by the root's writer): the caller sees it as `end` of the last good line
 * short of the file's. An unreadable line followed by a good one is corruption, and so is a
 * run whose position does not follow `runs`' last: both reported, never skipped. Runs are
 * added to `runs` as they are read.
 */
export async function* feedLines(
  path: string,
  fd: number,
  start: number,
  end: number,
  runs: FeedRuns,
): AsyncGenerator<ReadFeedLine> {
  let bad: number | undefined;
  for await (const lines of readLinesForward(fd, start, end)) {
    for (const { text, offset } of lines) {
      if (bad !== undefined) {
        throw new StorageError(`file: ${path} is corrupt: unreadable line at byte ${bad}`);
      }
      const line = parseFeedLine(text);
      if (!line) {
        bad = offset;
        continue;
      }
      if ('run' in line) {
        if (line.run.position <= runs.end) {
          throw new StorageError(`file: ${path} is corrupt: positions go back at byte ${offset}`);
        }
        runs.push(line.run);
      }
      yield { line, end: offset + Buffer.byteLength(text, 'utf8') + 1 };
    }
  }
}
