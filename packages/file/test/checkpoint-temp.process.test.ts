import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envelope } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function fresh() {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

const tempsIn = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));

describe('checkpoint temp files', () => {
  it('a checkpoint write that fails mid-write (file size limit, as a full disk) leaves no temp file', async () => {
    const root = await fresh();
    const fixture = fileURLToPath(new URL('./fixtures/checkpoint-file-limit.mjs', import.meta.url));
    // 64 blocks: 32 or 64 KiB depending on the shell; the large checkpoint is 600 KB.
    const child = spawn('sh', [
      '-c',
      'ulimit -f 64 && exec "$0" "$@"',
      process.execPath,
      fixture,
      root,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { outcome, temps, after } = JSON.parse(stdout);
    expect(outcome).toMatchObject({ ok: false, code: 'HISTORY_STORAGE' });
    expect(outcome.message).toMatch(/EFBIG|too large/i);
    // The previous checkpoint is intact and nothing is left beside it.
    expect(temps).toEqual([]);
    expect(after).toMatchObject({ payload: { small: true }, seq: 1 });
    expect(await tempsIn(sessionFiles(root, 's').dir)).toEqual([]);
  });

  it('a checkpoint whose rename fails leaves no temp file and the store goes on', async () => {
    const root = await fresh();
    const store = await createFileHistoryStore({ root });
    const files = sessionFiles(root, 'd');
    // A directory where the checkpoint file goes: the temp file is written, the rename refused.
    await mkdir(files.checkpoint, { recursive: true });
    await expect(store.checkpoint('d', { v: 1 })).rejects.toMatchObject({
      code: 'HISTORY_STORAGE',
    });
    expect(await tempsIn(files.dir)).toEqual([]);
    await store.checkpoint('other', { v: 2 });
    expect(await store.getCheckpoint('other')).toMatchObject({ payload: { v: 2 } });
    await store.close();
  });

  it('a temp file left by a crash is removed on reopen; the checkpoint and other files stay', async () => {
    const root = await fresh();
    const store = await createFileHistoryStore({ root });
    for (const id of ['read', 'appended', 'rewritten']) {
      await store.checkpoint(id, { v: id }, { seq: 3 });
    }
    await store.close();
    // What a process killed between writing a checkpoint's temp file and renaming it leaves.
    const dir = dirname(sessionFiles(root, 'read').checkpoint);
    for (const id of ['read', 'appended', 'rewritten']) {
      await writeFile(`${sessionFiles(root, id).checkpoint}.tmp`, '{"sessionId":"torn');
    }
    // Files of the same directory this package does not name as checkpoint temp files.
    const foreign = ['notes.tmp', `${sessionFiles(root, 'read').checkpoint}.bak`];
    for (const name of foreign)
      await writeFile(name.includes('/') ? name : `${dir}/${name}`, 'keep');
    expect(await tempsIn(dir)).toHaveLength(4);

    const again = await createFileHistoryStore({ root });
    // First touches: reading the checkpoint, appending, writing a new checkpoint.
    expect(await again.getCheckpoint('read')).toMatchObject({ payload: { v: 'read' }, seq: 3 });
    await again.append(envelope(1, { sessionId: 'appended' }));
    await again.checkpoint('rewritten', { v: 'new' }, { seq: 4 });
    expect(await tempsIn(dir)).toEqual(['notes.tmp']);
    expect(existsSync(`${sessionFiles(root, 'read').checkpoint}.bak`)).toBe(true);
    expect(await again.getCheckpoint('appended')).toMatchObject({ payload: { v: 'appended' } });
    expect(await again.getCheckpoint('rewritten')).toMatchObject({ payload: { v: 'new' }, seq: 4 });
    await again.close();
  });

  it('concurrent checkpoints of one session share its temp file name one at a time; the last wins', async () => {
    const root = await fresh();
    const store = await createFileHistoryStore({ root });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.checkpoint('s', { i, pad: 'p'.repeat(i * 997) })),
    );
    expect(await store.getCheckpoint('s')).toMatchObject({ payload: { i: 19 } });
    expect(await tempsIn(sessionFiles(root, 's').dir)).toEqual([]);
    await store.close();
  });
});
