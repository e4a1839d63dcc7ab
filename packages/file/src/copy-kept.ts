import { closeSync, constants, fdatasync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import type { PurgeRequest } from '@history/core/backend';
import { addRecord, type ExpiryStats, emptyStats } from './expiry-stats.js';
import { readLinesForward } from './line-reader.js';
import { metaLine, parseMetaLine } from './meta-line.js';
import { purgeRule } from './purge-rule.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionSummary } from './session-summary.js';
import { type TempFileState, TempWriter } from './temp-writer.js';

const datasync = promisify(fdatasync);

/** The first step of a compaction: plain data, so that a worker thread can run it. */
export interface CopyTask {
  data: string;
  temp: string;
  /** Bytes of the data file committed when the compaction started: what is read. */
  size: number;
  summary: SessionSummary;
  rule: Pick<PurgeRequest, 'now' | 'maxAgeMs' | 'maxEventsPerSession'>;
  legacy: boolean;
  /** Most records to remove. */
  quota: number;
}

export type CopyResult =
  /** A line other than the last is unreadable: the file is left alone. */
  | { readable: false }
  | {
      readable: true;
      /** End of the last good line read: where the lines appended since begin. */
      end: number;
      droppedIds: string[];
      more: boolean;
      /** Expiry and `occurredAt` of the records kept (see expiry-stats.ts). */
      kept: ExpiryStats;
      /** The temp file written and synced, when records were dropped. */
      temp?: TempFileState;
    };

/**
 * Reads the data file once to pick the records to remove; when there are some, copies the
 * others to the temp file after a meta line (keeping the session's last seq, count and
 * times) and syncs it, whatever the durability: a power loss must never leave the old file
 * replaced by an incomplete one. Reads and writes only files no other step touches until it
 * returns (the writer only appends past `size`), so it runs beside the writer, off the
 * event loop's thread (see compact-thread.ts).
 */
export async function copyKept(task: CopyTask): Promise<CopyResult> {
  const drop = purgeRule(task.rule as PurgeRequest, task.legacy);
  const kept = emptyStats();
  const dropped = new Set<number>();
  const droppedIds: string[] = [];
  let end = 0;
  let more = false;
  let index = 0;
  const fd = openSync(task.data, 'r');
  try {
    let bad = false;
    for await (const lines of readLinesForward(fd, 0, task.size)) {
      for (const line of lines) {
        if (bad) return { readable: false };
        const lineEnd = line.offset + Buffer.byteLength(line.text, 'utf8') + 1;
        if (line.offset === 0 && parseMetaLine(line.text)) {
          end = lineEnd;
          continue;
        }
        const record = parseRecordLine(line.text);
        if (!record) {
          // The last line may be a crash's garbage tail, which the writer cuts too.
          bad = true;
          continue;
        }
        end = lineEnd;
        if (!drop(record, index++, task.summary)) {
          addRecord(kept, record, task.legacy);
        } else if (dropped.size >= task.quota) {
          more = true;
          addRecord(kept, record, task.legacy);
        } else {
          dropped.add(record.seq);
          droppedIds.push(record.id);
        }
      }
    }
    if (dropped.size === 0) return { readable: true, end, droppedIds, more, kept };
    const temp = openSync(
      task.temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
      0o644,
    );
    try {
      const out = new TempWriter(temp);
      out.line(
        metaLine({
          lastSeq: task.summary.lastSeq,
          count: task.summary.eventCount - dropped.size,
          createdAt: task.summary.createdAt,
          updatedAt: task.summary.updatedAt,
        }),
      );
      // Lines after the last good one (a crash's torn or garbage tail) are not copied.
      await copyLines(fd, 0, end, out, (record) => !dropped.has(record.seq));
      out.flush();
      await datasync(temp);
      const state = { size: out.size, lines: out.lines, blockOffsets: out.blockOffsets };
      return { readable: true, end, droppedIds, more, kept, temp: state };
    } finally {
      closeSync(temp);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends the record lines of `[start, end)` of the data file open as `fd` that `keep`
 * accepts (the meta line never: the temp file has its own). `pause`, given the lines read so
 * far, may return a wait before the next (the event loop's side lets other work in).
 */
export async function copyLines(
  fd: number,
  start: number,
  end: number,
  out: TempWriter,
  keep: (record: RecordLine) => boolean,
  pause?: (lines: number) => Promise<void> | undefined,
): Promise<void> {
  let read = 0;
  for await (const lines of readLinesForward(fd, start, end)) {
    for (const line of lines) {
      const wait = pause?.(++read);
      if (wait) await wait;
      if (line.offset === 0 && parseMetaLine(line.text)) continue;
      const record = parseRecordLine(line.text);
      if (record && keep(record)) out.line(`${line.text}\n`);
    }
  }
}
