import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Line,
  type LineText,
  readLinesBackward,
  readLinesForward,
  readTextForward,
} from '../src/line-reader.js';
import { tempRoot } from './temp-root.js';

let root: Awaited<ReturnType<typeof tempRoot>>;
beforeAll(async () => {
  root = await tempRoot();
});
afterAll(() => root.remove());

const lines = ['a', '', 'ünïcödé 🎉', 'x'.repeat(70), 'last'];
const body = lines.map((l) => `${l}\n`).join('');

async function collect(gen: AsyncIterable<Line[]>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const chunk of gen) out.push(...chunk);
  return out;
}

async function withFile<T>(text: string, use: (fd: number, size: number) => Promise<T>) {
  const path = join(root.path, `f${Math.random()}`);
  await writeFile(path, text);
  const fd = openSync(path, 'r');
  try {
    return await use(fd, Buffer.byteLength(text));
  } finally {
    closeSync(fd);
  }
}

/** A `skipWhile` stepping over the first `n` lines. */
function skipFirst(n: number): () => boolean {
  let left = n;
  return () => left-- > 0;
}

/** Lines of every text chunk, with the byte offset of each. */
async function collectText(gen: AsyncIterable<LineText>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const { offset, text } of gen) {
    expect(text.endsWith('\n')).toBe(true);
    let at = offset;
    for (const line of text.slice(0, -1).split('\n')) {
      out.push({ offset: at, text: line });
      at += Buffer.byteLength(line) + 1;
    }
  }
  return out;
}

const offsets = lines.map((_, i) =>
  Buffer.byteLength(
    lines
      .slice(0, i)
      .map((l) => `${l}\n`)
      .join(''),
  ),
);

describe('line reader', () => {
  it('reads lines forward with byte offsets, skipping a torn tail, whole or in any chunk size', async () => {
    await withFile(`${body}torn-no-newline`, async (fd, size) => {
      // Chunk 256 KiB: one synchronous read of the whole range; small chunks: many reads.
      for (const chunk of [256 * 1024, 1, 2, 5, 13, 64]) {
        const all = await collect(readLinesForward(fd, 0, size, chunk));
        expect(all.map((l) => l.text)).toEqual(lines);
        expect(all.map((l) => l.offset)).toEqual(offsets);
        const fromMiddle = await collect(readLinesForward(fd, offsets[3]!, size, chunk));
        expect(fromMiddle.map((l) => l.offset)).toEqual(offsets.slice(3));
      }
    });
  });

  it('reads whole lines as text forward, skipping leading lines and a torn tail, in any chunk size', async () => {
    await withFile(`${body}torn-no-newline`, async (fd, size) => {
      for (const chunk of [256 * 1024, 1, 2, 5, 13, 64]) {
        const all = await collectText(readTextForward(fd, 0, size, undefined, chunk));
        expect(all.map((l) => l.text)).toEqual(lines);
        expect(all.map((l) => l.offset)).toEqual(offsets);
        for (let skip = 1; skip <= lines.length + 1; skip++) {
          const skipped = await collectText(readTextForward(fd, 0, size, skipFirst(skip), chunk));
          expect(skipped.map((l) => l.text)).toEqual(lines.slice(skip));
          expect(skipped.map((l) => l.offset)).toEqual(offsets.slice(skip));
        }
      }
    });
  });

  it('decodes long ranges in pieces of whole lines, a line longer than a piece whole', async () => {
    // ~400 KiB: several 64 KiB pieces, one line of 100 KiB, multi-byte characters throughout.
    const many = Array.from({ length: 3000 }, (_, i) =>
      i === 1234 ? 'L'.repeat(100 * 1024) : `${i} é ${'x'.repeat(i % 200)}`,
    );
    const text = many.map((l) => `${l}\n`).join('');
    await withFile(text, async (fd, size) => {
      for (const chunk of [256 * 1024, 32 * 1024]) {
        const all = await collectText(readTextForward(fd, 0, size, undefined, chunk));
        expect(all.map((l) => l.text)).toEqual(many);
        const skipped = await collectText(readTextForward(fd, 0, size, skipFirst(2000), chunk));
        expect(skipped.map((l) => l.text)).toEqual(many.slice(2000));
        expect(skipped[0]!.offset).toBe(Buffer.byteLength(many.slice(0, 2000).join('\n')) + 1);
      }
    });
  });

  it('reads lines backward with any chunk size, across chunk boundaries, skipping a torn tail', async () => {
    await withFile(`${body}torn ${'t'.repeat(40)}`, async (fd, size) => {
      for (let chunk = 1; chunk <= 120; chunk += 7) {
        const all = await collect(readLinesBackward(fd, 0, size, chunk));
        expect(all.map((l) => l.text)).toEqual([...lines].reverse());
        expect(all.map((l) => l.offset)).toEqual([...offsets].reverse());
        // Stopping at a line start yields exactly the lines before it.
        const before = await collect(readLinesBackward(fd, 0, offsets[3]!, chunk));
        expect(before.map((l) => l.text)).toEqual(lines.slice(0, 3).reverse());
      }
    });
  });

  it('yields nothing for a file that is only a torn line', async () => {
    await withFile('no newline at all', async (fd, size) => {
      expect(await collect(readLinesForward(fd, 0, size))).toEqual([]);
      expect(await collect(readLinesForward(fd, 0, size, 4))).toEqual([]);
      expect(await collectText(readTextForward(fd, 0, size))).toEqual([]);
      expect(await collectText(readTextForward(fd, 0, size, undefined, 4))).toEqual([]);
      expect(await collect(readLinesBackward(fd, 0, size, 4))).toEqual([]);
    });
  });
});
