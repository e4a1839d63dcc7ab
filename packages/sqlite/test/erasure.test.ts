import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

/** Whether `marker` occurs in the database or its WAL, byte for byte. */
function onDisk(filename: string, marker: string): boolean {
  const needle = Buffer.from(marker, 'utf8');
  return ['', '-wal'].some(
    (suffix) =>
      existsSync(`${filename}${suffix}`) &&
      readFileSync(`${filename}${suffix}`).indexOf(needle) !== -1,
  );
}

const modes = [
  ['worker threads (default)', { worker: true }],
  ['inline (worker: false)', { worker: false }],
] as const;

describe.each(modes)('deleteSession erases the bytes (%s)', (_title, mode) => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db.cleanup());

  it('leaves no byte of the erased JSON in the database or the WAL', async () => {
    db = tempDb();
    const secret = `ERASE-${randomUUID()}`;
    const kept = `KEEP-${randomUUID()}`;
    const store = await createSqliteHistoryStore({ filename: db.filename, ...mode });
    const event = (sessionId: string, n: number, text: string, pad = 200) => ({
      id: `${sessionId}-${n}`,
      type: 't',
      sessionId,
      occurredAt: new Date().toISOString(),
      payload: { text: `${text}-${n}`, pad: 'x'.repeat(pad) },
    });
    // Small events over sealed blocks (event_ids, time_blocks), one on overflow pages,
    // interleaved with a session that stays, in many commits (many WAL frames).
    for (let n = 1; n <= 300; n += 10) {
      await store.appendMany([
        ...Array.from({ length: 10 }, (_, i) => event('secret', n + i, secret)),
        event('kept', n, kept),
      ]);
    }
    await store.append(event('secret', 301, secret, 50_000));
    await store.checkpoint('secret', { text: `${secret}-checkpoint` });
    await store.flush();
    expect(onDisk(db.filename, secret)).toBe(true);

    expect(await store.deleteSession('secret')).toEqual({ deletedEvents: 301 });
    // Erased already when deleteSession resolves (the WAL was truncated), not only at close.
    expect(onDisk(db.filename, secret)).toBe(false);
    await store.append(event('kept', 999, kept));
    await store.close();

    expect(onDisk(db.filename, secret)).toBe(false);
    expect(onDisk(db.filename, kept)).toBe(true);
  });
});
