import { writeSync } from 'node:fs';

/** Writes all of `buffer` at `at` in `fd`; loops only in the rare case of a short write. */
export function writeAllSync(fd: number, buffer: Buffer, at: number): void {
  let written = 0;
  while (written < buffer.length) {
    written += writeSync(fd, buffer, written, buffer.length - written, at + written);
  }
}
