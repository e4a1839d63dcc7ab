import { readFileSync } from 'node:fs';
import { documentedDefaultProblems } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { FILE_DEFAULTS, resolveFileOptions } from '../src/options.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('file options defaults', () => {
  it('applies every default when its option is absent', () => {
    expect(resolveFileOptions({ root: '/tmp/x' })).toEqual({ root: '/tmp/x', ...FILE_DEFAULTS });
  });

  it('keeps what the caller gave over each default', () => {
    const given = {
      durability: 'fsync',
      maxOpenFiles: 3,
      maxCachedIds: 0,
      pageBytes: 7,
      readOnly: true,
      changeCheckMs: 5,
    } as const;
    expect(resolveFileOptions({ root: '/tmp/x', ...given })).toEqual({ root: '/tmp/x', ...given });
  });

  it('are the defaults the README states', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(documentedDefaultProblems(readme, FILE_DEFAULTS)).toEqual([]);
  });
});

describe('createFileHistoryStore options', () => {
  const bad: Array<[string, unknown, string]> = [
    ['no options', undefined, 'options'],
    ['a string', '/tmp/x', 'options'],
    ['missing root', {}, 'options.root'],
    ['empty root', { root: '' }, 'options.root'],
    ['NUL in root', { root: '/tmp/a\0b' }, 'options.root'],
    ['bad durability', { root: '/tmp/x', durability: 'always' }, 'options.durability'],
    ['string root', { root: 42 }, 'options.root'],
    ['null durability', { root: '/tmp/x', durability: null }, 'options.durability'],
    ['zero maxOpenFiles', { root: '/tmp/x', maxOpenFiles: 0 }, 'options.maxOpenFiles'],
    ['fractional maxOpenFiles', { root: '/tmp/x', maxOpenFiles: 1.5 }, 'options.maxOpenFiles'],
    ['too many maxOpenFiles', { root: '/tmp/x', maxOpenFiles: 65_537 }, 'options.maxOpenFiles'],
    ['negative maxCachedIds', { root: '/tmp/x', maxCachedIds: -1 }, 'options.maxCachedIds'],
    ['NaN maxCachedIds', { root: '/tmp/x', maxCachedIds: Number.NaN }, 'options.maxCachedIds'],
    ['string readOnly', { root: '/tmp/x', readOnly: 'yes' }, 'options.readOnly'],
    ['zero changeCheckMs', { root: '/tmp/x', changeCheckMs: 0 }, 'options.changeCheckMs'],
    ['zero pageBytes', { root: '/tmp/x', pageBytes: 0 }, 'options.pageBytes'],
    ['string pageBytes', { root: '/tmp/x', pageBytes: '4MB' }, 'options.pageBytes'],
    ['an unknown option', { root: '/tmp/x', maxOpenFile: 8 }, 'options.maxOpenFile'],
    ['bad common option', { root: '/tmp/x', maxBatchSize: -1 }, 'options.maxBatchSize'],
    [
      'bad defaultSessionId',
      { root: '/tmp/x', defaultSessionId: 'a\0' },
      'options.defaultSessionId',
    ],
  ];
  for (const [name, options, field] of bad) {
    it(`rejects ${name} naming ${field}`, async () => {
      await expect(createFileHistoryStore(options as never)).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field,
      });
    });
  }

  it('creates a missing root (and parents) and accepts every option', async () => {
    const parent = await tempRoot();
    cleanups.push(parent.remove);
    const store = await createFileHistoryStore({
      root: `${parent.path}/a/b/c`,
      durability: 'fsync',
      maxOpenFiles: 2,
      pageBytes: 1,
      maxBatchSize: 10,
      defaultSessionId: 'main',
    });
    const r = await store.append({
      id: '1',
      type: 't',
      payload: null,
      occurredAt: '2025-01-01T00:00:00Z',
    });
    expect(r).toMatchObject({ sessionId: 'main', seq: 1 });
    await store.close();
  });

  it('refuses a root written by a newer layout version', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      `${root.path}/history-file.json`,
      JSON.stringify({ format: '@history/file', version: 99 }),
    );
    await expect(createFileHistoryStore({ root: root.path })).rejects.toMatchObject({
      code: 'HISTORY_SCHEMA_VERSION',
      found: 99,
    });
    // The failed open released the lock.
    await writeFile(
      `${root.path}/history-file.json`,
      JSON.stringify({ format: '@history/file', version: 1 }),
    );
    await (await createFileHistoryStore({ root: root.path })).close();
  });

  it('rejects a root that is a file with StorageError', async () => {
    const parent = await tempRoot();
    cleanups.push(parent.remove);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${parent.path}/file`, 'x');
    await expect(createFileHistoryStore({ root: `${parent.path}/file` })).rejects.toMatchObject({
      code: 'HISTORY_STORAGE',
      message: expect.stringContaining('cannot create the store directory'),
    });
  });
});
