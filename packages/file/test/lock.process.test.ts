import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope } from '@history/contract-tests';
import { LockedError } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function newRoot(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

describe('one writer per root', () => {
  it('refuses a second process with LockedError, then lets it in once the first closed', async () => {
    const root = await newRoot();
    const first = runFixture('hold-store.mjs', [root, 'shared', '1000', 'a']);
    await first.waitFor((l) => l === 'written');

    const second = runFixture('hold-store.mjs', [root, 'shared', '1000', 'b']);
    expect((await second.exited).code).toBe(3);
    const refusal = JSON.parse(second.lines[0]!);
    expect(refusal.error).toBe('HISTORY_LOCKED');
    expect(refusal.message).toMatch(/locked by pid \d+/);

    first.proc.stdin.end();
    expect((await first.exited).code).toBe(0);

    const third = runFixture('hold-store.mjs', [root, 'shared', '1000', 'b']);
    await third.waitFor((l) => l === 'written');
    third.proc.stdin.end();
    expect((await third.exited).code).toBe(0);

    // Nothing interleaved or lost: a's 1000 lines, then b's 1000, seq 1..2000.
    const store = await createFileHistoryStore({ root });
    const records = [];
    for await (const r of store.stream('shared')) records.push(r);
    await store.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(records.map((r) => r.id)).toEqual([
      ...Array.from({ length: 1000 }, (_, i) => `a-${i}`),
      ...Array.from({ length: 1000 }, (_, i) => `b-${i}`),
    ]);
  }, 60_000);

  it('lets exactly one of two processes starting together write', async () => {
    const root = await newRoot();
    const children = ['x', 'y'].map((p) => runFixture('hold-store.mjs', [root, 'race', '200', p]));
    const outcomes = await Promise.all(
      children.map((c) =>
        c
          .waitFor((l) => l === 'written' || l.includes('HISTORY_LOCKED'))
          .catch((e: Error) => e.message),
      ),
    );
    expect(outcomes.filter((o) => o === 'written')).toHaveLength(1);
    expect(outcomes.filter((o) => o.includes('HISTORY_LOCKED'))).toHaveLength(1);
    for (const c of children) c.proc.stdin.end();
    await Promise.all(children.map((c) => c.exited));
    const store = await createFileHistoryStore({ root });
    const records = [];
    for await (const r of store.stream('race')) records.push(r);
    await store.close();
    expect(records).toHaveLength(200);
    expect(new Set(records.map((r) => r.id.split('-')[0])).size).toBe(1);
  }, 60_000);

  it('takes over at once from a holder killed with SIGKILL', async () => {
    const root = await newRoot();
    const holder = runFixture('hold-store.mjs', [root, 's', '10', 'k']);
    await holder.waitFor((l) => l === 'written');
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const store = await createFileHistoryStore({ root });
    expect((await store.append(envelope(11, { id: 'n', sessionId: 's' }))).seq).toBe(11);
    await store.close();
  }, 30_000);

  it('lets exactly one of four processes racing to take over from a SIGKILLed holder in, round after round', async () => {
    // Each round: the holder is SIGKILLed, then racers released by one gate all open the root at
    // once. Exactly one may win; the winner appends and becomes the next round's killed holder.
    const rounds = 12;
    const racers = 4;
    const root = await newRoot();
    let holder = runFixture('hold-store.mjs', [root, 'takeover', '10', 'h']);
    await holder.waitFor((l) => l === 'written');
    const acknowledged = Array.from({ length: 10 }, (_, i) => `h-${i}`);
    for (let round = 0; round < rounds; round++) {
      holder.proc.kill('SIGKILL');
      await holder.exited;
      const children = Array.from({ length: racers }, (_, i) =>
        runFixture('hold-store.mjs', [root, 'takeover', '60', `r${round}.${i}`, 'gate']),
      );
      await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready')));
      for (const c of children) c.proc.stdin.write('go\n');
      const outcomes = await Promise.all(
        children.map((c) =>
          c
            .waitFor((l) => l === 'written' || l.startsWith('{'))
            .then(
              (l) => (l === 'written' ? l : (JSON.parse(l) as { error: string }).error),
              (e: Error) => e.message, // exited: the code and stderr, to tell why
            ),
        ),
      );
      expect([...outcomes].sort()).toEqual([
        ...Array.from({ length: racers - 1 }, () => 'HISTORY_LOCKED'),
        'written',
      ]);
      const winner = outcomes.indexOf('written');
      acknowledged.push(...Array.from({ length: 60 }, (_, k) => `r${round}.${winner}-${k}`));
      holder = children[winner]!;
      for (const c of children) if (c !== holder) expect((await c.exited).code).toBe(3);
    }
    holder.proc.stdin.end();
    expect((await holder.exited).code).toBe(0);

    // Every acknowledged append is on disk exactly once, in order, seq 1..n.
    const store = await createFileHistoryStore({ root });
    const records = [];
    for await (const r of store.stream('takeover')) records.push(r);
    await store.close();
    expect(records.map((r) => r.id)).toEqual(acknowledged);
    expect(records.map((r) => r.seq)).toEqual(acknowledged.map((_, i) => i + 1));
  }, 120_000);

  it('takes over a lock of another host only once its owner file is 10 s untouched', async () => {
    const root = await newRoot();
    const lock = join(root, 'write.lock');
    const ownerFile = join(lock, 'owner-elsewhere.json');
    await mkdir(lock);
    await writeFile(ownerFile, JSON.stringify({ pid: 1, hostname: 'elsewhere', since: 'x' }));
    const error = await createFileHistoryStore({ root }).catch((e: unknown) => e);
    expect((error as LockedError).code).toBe('HISTORY_LOCKED');
    expect((error as Error).message).toMatch(/locked by pid 1 on elsewhere/);
    const untouched = new Date(Date.now() - 11_000);
    await utimes(ownerFile, untouched, untouched);
    const store = await createFileHistoryStore({ root });
    expect(await readdir(lock)).toEqual([expect.stringMatching(/^owner-[0-9a-f-]{36}\.json$/)]);
    await store.close();
  });

  it('refuses a second store on the same root in the same process', async () => {
    const root = await newRoot();
    const store = await createFileHistoryStore({ root });
    const error = await createFileHistoryStore({ root }).catch((e: unknown) => e);
    expect(LockedError.isInstance(error)).toBe(true);
    expect((error as LockedError).code).toBe('HISTORY_LOCKED');
    await store.close();
    const reopened = await createFileHistoryStore({ root });
    await reopened.close();
  });

  it('stops writing once its lock is taken away', async () => {
    const root = await newRoot();
    const store = await createFileHistoryStore({ root });
    await store.append(envelope(1, { id: 'before', sessionId: 's' }));
    await rm(join(root, 'write.lock'), { recursive: true });
    // The holder notices at its next refresh (every 5 s).
    let error: unknown;
    for (let i = 0; i < 40 && !error; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      error = await store.append(envelope(i + 2, { id: `after-${i}`, sessionId: 's' })).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(LockedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/lost its write lock/);
    await store.close();
  }, 20_000);
});
