import { readFileSync } from 'node:fs';
import { documentedDefaultProblems } from '@history/contract-tests';
import { InvalidArgumentError } from '@history/core';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSqliteConfig, SQLITE_DEFAULTS } from '../src/options.js';
import { createSqliteHistoryStore } from '../src/store.js';
import { tempDb } from './temp-db.js';

describe('sqlite options defaults', () => {
  it('applies every default when its option is absent', () => {
    expect(resolveSqliteConfig({ filename: 'h.db' })).toEqual({
      filename: 'h.db',
      ...SQLITE_DEFAULTS,
    });
  });

  it('keeps what the caller gave over each default', () => {
    const given = {
      durability: 'full',
      busyTimeoutMs: 0,
      worker: false,
      readers: 64,
      pageSize: 1,
      pageBytes: 1,
      inlineWriteRows: 0,
      inlineReadRows: 0,
      changeCheckMs: 1,
    } as const;
    expect(resolveSqliteConfig({ filename: 'h.db', ...given })).toEqual({
      filename: 'h.db',
      ...given,
    });
  });

  it('are the defaults the README states', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(documentedDefaultProblems(readme, SQLITE_DEFAULTS)).toEqual([]);
  });
});

describe('createSqliteHistoryStore options', () => {
  const db = tempDb();
  afterAll(() => db.cleanup());

  it.each([
    [undefined, 'options'],
    [{}, 'options.filename'],
    [{ filename: '' }, 'options.filename'],
    [{ filename: 'a\0b' }, 'options.filename'],
    [{ filename: ':memory:' }, 'options.filename'],
    [{ filename: 42 }, 'options.filename'],
    [{ filename: db.filename, durability: 'fast' }, 'options.durability'],
    [{ filename: db.filename, busyTimeoutMs: -1 }, 'options.busyTimeoutMs'],
    [{ filename: db.filename, busyTimeoutMs: 1.5 }, 'options.busyTimeoutMs'],
    [{ filename: db.filename, busyTimeoutMs: 2 ** 31 }, 'options.busyTimeoutMs'],
    [{ filename: db.filename, worker: 'yes' }, 'options.worker'],
    [{ filename: db.filename, readers: 0 }, 'options.readers'],
    [{ filename: db.filename, readers: 65 }, 'options.readers'],
    [{ filename: db.filename, pageSize: 0 }, 'options.pageSize'],
    [{ filename: db.filename, pageSize: 100_001 }, 'options.pageSize'],
    [{ filename: db.filename, pageBytes: 0 }, 'options.pageBytes'],
    [{ filename: db.filename, pageBytes: 1.5 }, 'options.pageBytes'],
    [{ filename: db.filename, inlineWriteRows: -1 }, 'options.inlineWriteRows'],
    [{ filename: db.filename, inlineWriteRows: '128' }, 'options.inlineWriteRows'],
    [{ filename: db.filename, inlineReadRows: 0.5 }, 'options.inlineReadRows'],
    [{ filename: db.filename, inlineReadRows: 100_001 }, 'options.inlineReadRows'],
    [{ filename: db.filename, changeCheckMs: 0 }, 'options.changeCheckMs'],
    [{ filename: db.filename, inlinereadrows: 5 }, 'options.inlinereadrows'],
    [{ filename: db.filename, maxBatchSize: 0 }, 'options.maxBatchSize'],
    [{ filename: db.filename, backpressure: 'drop' }, 'options.backpressure'],
  ])('rejects %o naming %s', async (options, field) => {
    const opening = createSqliteHistoryStore(options as never);
    await expect(opening).rejects.toSatisfy((e) => InvalidArgumentError.isInstance(e));
    await expect(opening).rejects.toMatchObject({ code: 'HISTORY_INVALID_ARGUMENT', field });
  });

  it('reports an unopenable file as a storage error', async () => {
    await expect(
      createSqliteHistoryStore({ filename: `${db.dir}/missing-dir/x.db`, worker: false }),
    ).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
  });

  it('accepts every documented option together', async () => {
    const store = await createSqliteHistoryStore({
      filename: db.filename,
      durability: 'full',
      busyTimeoutMs: 100,
      worker: false,
      readers: 1,
      pageSize: 2,
      pageBytes: 1,
      inlineWriteRows: 0,
      inlineReadRows: 0,
      changeCheckMs: 5,
      followPollMs: 50,
      maxBatchSize: 10,
      retries: 0,
    });
    const at = '2026-01-01T00:00:00Z';
    await store.appendMany(
      [1, 2, 3, 4, 5].map((n) => ({ id: `e${n}`, type: 't', occurredAt: at, payload: n })),
    );
    const seqs: number[] = [];
    for await (const r of store.stream('default')) seqs.push(r.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    await store.close();
  });
});
