/** One record as a JSONL line: a small header, then the envelope JSON text verbatim. */
export interface RecordLine {
  seq: number;
  id: string;
  /** `occurredAt` in epoch milliseconds, for time-range filters. */
  at: number;
  /**
   * Epoch milliseconds from which the record is expired (`occurredAt + ttlMs`), so reads and
   * purges skip it without parsing the envelope. Absent without a ttl, and on lines written
   * by layout 1 (see `recordExpiry`).
   */
  exp?: number;
  createdAt: string;
  /** The envelope JSON exactly as appended. */
  json: string;
}

// The envelope comes last so a reader can slice it out verbatim and parse only the header.
// The marker cannot occur earlier in the line: inside a JSON string every `"` is escaped.
const ENVELOPE_MARK = ',"envelope":';

/** Whether JSON.stringify would escape anything: `"`, `\\` or a control character (ids are well-formed). */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/**
 * The line head before the envelope: a line is head + envelope JSON + '}\n'.
 * `createdAt` must be an ISO timestamp from `Date#toISOString` (nothing to escape).
 */
export function recordLineHead(
  seq: number,
  id: string,
  at: number,
  createdAt: string,
  exp?: number,
): string {
  const quotedId = needsEscape(id) ? JSON.stringify(id) : `"${id}"`;
  const expiry = exp === undefined ? '' : `,"exp":${exp}`;
  return `{"seq":${seq},"id":${quotedId},"at":${at}${expiry},"createdAt":"${createdAt}"${ENVELOPE_MARK}`;
}

/** Parses a line (without its newline), or returns `undefined` when it is not a valid record line. */
export function parseRecordLine(line: string): RecordLine | undefined {
  return parseRecordLineAt(line, 0, line.length);
}

/**
 * Parses the line `text[start..end)` (newline excluded) in place: a reader
 * decodes many lines into one string and never slices out the whole line.
 */
export function parseRecordLineAt(
  text: string,
  start: number,
  end: number,
): RecordLine | undefined {
  if (end <= start || text.charCodeAt(end - 1) !== 0x7d /* } */) return undefined;
  return parseLineFast(text, start, end) ?? parseLineSlow(text.slice(start, end));
}

/**
 * Reads the header as this package writes it, without JSON.parse: replay is
 * dominated by per-line work. Ids with escapes go to the slow path. Every
 * search is bounded by `end`: the text may hold more lines after this one.
 */
function parseLineFast(text: string, start: number, end: number): RecordLine | undefined {
  if (!text.startsWith('{"seq":', start)) return undefined;
  let i = start + 7;
  let seq = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  if (i === start + 7 || !text.startsWith(',"id":"', i)) return undefined;
  i += 7;
  const idEnd = text.indexOf('"', i);
  if (idEnd < 0 || idEnd >= end) return undefined;
  const id = text.slice(i, idEnd);
  if (id.includes('\\')) return undefined;
  i = idEnd + 1;
  if (!text.startsWith(',"at":', i)) return undefined;
  i += 6;
  const atEnd = text.indexOf(',', i);
  if (atEnd <= i || atEnd >= end) return undefined;
  const at = Number(text.slice(i, atEnd));
  let exp: number | undefined;
  let headEnd = atEnd;
  if (text.startsWith(',"exp":', atEnd)) {
    const expEnd = text.indexOf(',', atEnd + 7);
    if (expEnd <= atEnd + 7 || expEnd >= end) return undefined;
    exp = Number(text.slice(atEnd + 7, expEnd));
    if (!Number.isFinite(exp)) return undefined;
    headEnd = expEnd;
  }
  if (!text.startsWith(',"createdAt":"', headEnd)) return undefined;
  i = headEnd + 14;
  const createdAtEnd = text.indexOf('"', i);
  if (createdAtEnd < 0 || createdAtEnd >= end) return undefined;
  const createdAt = text.slice(i, createdAtEnd);
  const jsonStart = createdAtEnd + 1 + ENVELOPE_MARK.length;
  if (!text.startsWith(ENVELOPE_MARK, createdAtEnd + 1) || jsonStart >= end - 1) return undefined;
  const json = text.slice(jsonStart, end - 1);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isFinite(at)) return undefined;
  return exp === undefined
    ? { seq, id, at, createdAt, json }
    : { seq, id, at, exp, createdAt, json };
}

function parseLineSlow(line: string): RecordLine | undefined {
  const cut = line.indexOf(ENVELOPE_MARK);
  if (cut < 0) return undefined;
  let head: Record<string, unknown>;
  try {
    head = JSON.parse(`${line.slice(0, cut)}}`);
  } catch {
    return undefined;
  }
  const { seq, id, at, exp, createdAt } = head;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) {
    return undefined;
  }
  if (
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof id !== 'string' ||
    typeof at !== 'number' ||
    typeof createdAt !== 'string'
  ) {
    return undefined;
  }
  const json = line.slice(cut + ENVELOPE_MARK.length, -1);
  if (json.length === 0) return undefined;
  return exp === undefined
    ? { seq, id, at, createdAt, json }
    : { seq, id, at, exp, createdAt, json };
}

const SEQ_PREFIX = '{"seq":';

/**
 * The seq of the record line starting at `data[at]`, read from its first bytes
 * without decoding the line, or `undefined` when no record line starts there
 * (a session's meta line, or not a line start at all).
 */
export function seqAt(data: Uint8Array, at: number, length: number): number | undefined {
  for (let k = 0; k < SEQ_PREFIX.length; k++) {
    if (at + k >= length || data[at + k] !== SEQ_PREFIX.charCodeAt(k)) return undefined;
  }
  let seq = 0;
  let i = at + SEQ_PREFIX.length;
  for (; i < length; i++) {
    const c = data[i]!;
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  return i > at + SEQ_PREFIX.length && i < length && data[i] === 0x2c /* , */ ? seq : undefined;
}
