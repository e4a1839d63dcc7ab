import type { HistoryRecord } from '@history/core';

/**
 * A record as one human-readable line: seq, `occurredAt`, type and the payload as JSON. On a
 * terminal (`columns` given) the line is cut to its width; in a pipe it is whole.
 */
export function recordText(
  record: HistoryRecord,
  options: { seqWidth?: number; columns?: number; session?: boolean } = {},
): string {
  const { envelope } = record;
  const seq = String(record.seq).padStart(options.seqWidth ?? 0);
  const session = options.session ? `${record.sessionId}  ` : '';
  const line = `${session}${seq}  ${envelope.occurredAt}  ${envelope.type}  ${JSON.stringify(envelope.payload)}`;
  return `${cut(line, options.columns)}\n`;
}

function cut(line: string, columns: number | undefined): string {
  if (columns === undefined || line.length <= columns) return line;
  return `${line.slice(0, Math.max(0, columns - 1))}…`;
}
