import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One staged row: `n` is its position in the batch, which fixes the seq order. */
export interface StagedRow {
  n: number;
  sessionId: string;
  id: string;
  occurredAt: string;
  json: string;
  /** ISO instant; absent: `\N`, NULL. */
  expiresAt?: string | undefined;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY text format: backslash, tab, newline and CR escaped (ids may contain any of them). */
export function copyField(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

export function copyLine(row: StagedRow): string {
  return `${row.n}\t${copyField(row.sessionId)}\t${copyField(row.id)}\t${row.occurredAt}\t${copyField(row.json)}\t${row.expiresAt ?? '\\N'}\n`;
}

const CHUNK_CHARS = 64 * 1024;

/** COPY text lines grouped into ~64 KB chunks: fewer writes than one per row. */
export function* copyChunks(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Streams `chunks` into `COPY ... FROM STDIN` on `client`, honouring backpressure.
 * If the source throws or the server rejects a row, the COPY is aborted
 * (CopyFail) and this rejects; the caller's transaction must then roll back.
 */
export async function copyInto(
  client: pg.PoolClient,
  copySql: string,
  chunks: Iterable<string>,
): Promise<number> {
  const stream = client.query(copyFrom(copySql));
  await pipeline(Readable.from(chunks, { objectMode: false }), stream);
  return stream.rowCount;
}
