import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** One line of COPY text format: backslash, tab, newline and CR escaped. */
export function copyLine(fields: readonly string[]): string {
  return `${fields.map((f) => f.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!)).join('\t')}\n`;
}

/** Streams pre-built COPY lines through `COPY ... FROM STDIN` on one client. */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  sql: string,
  lines: readonly string[],
): Promise<void> {
  const sink = client.query(copyFrom(sql));
  await pipeline(async function* () {
    // Chunks of ~1 MiB: fewer writes than one per line, bounded memory.
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }, sink);
}
