import { rm } from 'node:fs/promises';
import { join } from 'node:path';
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
        c.waitFor((l) => l === 'written' || l.includes('HISTORY_LOCKED')).catch(() => 'exited'),
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
    expect(
      (
        await store.append({
          id: 'n',
          type: 't',
          payload: 1,
          occurredAt: new Date().toISOString(),
          sessionId: 's',
        })
      ).seq,
    ).toBe(11);
    await store.close();
  }, 30_000);

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
    const event = (id: string) => ({
      id,
      type: 't',
      payload: 1,
      occurredAt: new Date().toISOString(),
      sessionId: 's',
    });
    await store.append(event('before'));
    await rm(join(root, 'write.lock'), { recursive: true });
    // proper-lockfile notices at its next refresh (every 5 s).
    let error: unknown;
    for (let i = 0; i < 40 && !error; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      error = await store.append(event(`after-${i}`)).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(LockedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/lost its write lock/);
    await store.close();
  }, 20_000);
});
