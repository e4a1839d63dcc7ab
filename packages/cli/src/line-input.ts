import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface LineInput {
  /** The input's lines, gunzipped when it is gzip. */
  lines: AsyncIterable<string>;
  /** Bytes read from the file or stdin so far (compressed bytes for gzip). */
  bytesRead(): number;
  /** The file's size; unknown for stdin. */
  totalBytes?: number;
  /** Stops reading. */
  close(): void;
}

/**
 * Opens a file (or stdin for `-` or no path) as lines. Gzip is recognised by its first two
 * bytes, whatever the name. Errors (a missing or unreadable file) surface when reading
 * starts, as the file system's one-line message.
 */
export async function openLineInput(path: string | undefined): Promise<LineInput> {
  const fromStdin = path === undefined || path === '-';
  let totalBytes: number | undefined;
  if (!fromStdin) {
    const info = await stat(path);
    if (info.isDirectory()) throw new Error(`${path} is a directory, not a file`);
    totalBytes = info.size;
  }
  const raw: Readable = fromStdin
    ? process.stdin
    : createReadStream(path, { highWaterMark: 256 * 1024 });
  let bytes = 0;
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  const head = first.done ? undefined : first.value;
  const gzip = head !== undefined && head[0] === 0x1f && head[1] === 0x8b;
  const counted = Readable.from(
    (async function* () {
      if (head === undefined) return;
      bytes += head.length;
      yield head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        bytes += next.value.length;
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
  const text = gzip ? counted.pipe(createGunzip()) : counted;
  if (gzip) counted.on('error', (error) => text.destroy(error));
  // readline reads its input from the moment it exists, and lines emitted before the loop
  // asks for them would be lost: create it when the caller starts reading.
  let reader: ReturnType<typeof createInterface> | undefined;
  const lines = {
    [Symbol.asyncIterator]() {
      reader = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
      return reader[Symbol.asyncIterator]();
    },
  };
  return {
    lines,
    bytesRead: () => bytes,
    ...(totalBytes === undefined ? {} : { totalBytes }),
    close() {
      reader?.close();
      text.destroy();
      raw.destroy();
    },
  };
}
