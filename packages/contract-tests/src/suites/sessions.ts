import { HistoryError, type SessionInfo } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, envelopes, type Harness, toArray } from '../harness.js';

async function list(make: () => AsyncIterable<SessionInfo>): Promise<string[]> {
  return (await toArray(make())).map((s) => s.sessionId);
}

/** Code point order: the byte order of UTF-8, which `<` on JS strings is not. */
const byCodePoint = (a: string, b: string) =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

async function createSessions(
  store: Awaited<ReturnType<Harness['open']>>,
  ids: readonly string[],
): Promise<void> {
  await store.appendMany(ids.map((sessionId, k) => envelope(k + 1, { sessionId })));
}

/** listSessions and getSession. */
export function sessionsSuite(subject: ContractSubject, h: Harness): void {
  describe('sessions: listSessions and getSession', () => {
    it('getSession describes a session: last seq, event count, commit times', async () => {
      const store = await h.open();
      expect(await store.getSession('s1')).toBeNull();
      const before = Date.now();
      await store.appendMany(envelopes(3));
      await store.append(envelope(4));
      const info = await store.getSession('s1');
      expect(info).toMatchObject({ sessionId: 's1', lastSeq: 4, eventCount: 4 });
      const created = Date.parse(info!.createdAt);
      const updated = Date.parse(info!.updatedAt);
      expect(new Date(created).toISOString()).toBe(info!.createdAt);
      expect(new Date(updated).toISOString()).toBe(info!.updatedAt);
      expect(created).toBeGreaterThanOrEqual(before - 5_000);
      expect(updated).toBeGreaterThanOrEqual(created);
      expect(updated).toBeLessThanOrEqual(Date.now() + 5_000);
    });

    it('a duplicate append changes nothing the session reports', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(2));
      const before = await store.getSession('s1');
      await expect(store.append(envelope(2))).resolves.toMatchObject({ duplicate: true });
      expect(await store.getSession('s1')).toEqual(before);
    });

    it('a checkpoint alone makes no session', async () => {
      const store = await h.open();
      await store.checkpoint('only-checkpoint', { v: 1 });
      expect(await store.getSession('only-checkpoint')).toBeNull();
      expect(await list(() => store.listSessions())).toEqual([]);
    });

    it('lists every session once, in code point order, with the same record as getSession', async () => {
      const store = await h.open();
      // Supplementary (😀) before U+FF61 in code point order, after it in UTF-16 order.
      const ids = ['b', 'a', 'a/b', 'A', 'ä', '😀', '｡', '_', '%', 'a b', 'a-b', 'ab'];
      await createSessions(store, ids);
      const listed: SessionInfo[] = [];
      for await (const s of store.listSessions()) listed.push(s);
      expect(listed.map((s) => s.sessionId)).toEqual([...ids].sort(byCodePoint));
      for (const s of listed) {
        expect(await store.getSession(s.sessionId)).toEqual(s);
        expect(s).toMatchObject({ lastSeq: 1, eventCount: 1 });
      }
    });

    it('prefix matches the start of the id exactly, wildcard characters included', async () => {
      const store = await h.open();
      await createSessions(store, [
        'user:1',
        'user:2',
        'user_3',
        'usera',
        'user',
        'other',
        '%x',
        'ax',
      ]);
      expect(await list(() => store.listSessions({ prefix: 'user:' }))).toEqual([
        'user:1',
        'user:2',
      ]);
      expect(await list(() => store.listSessions({ prefix: 'user_' }))).toEqual(['user_3']);
      expect(await list(() => store.listSessions({ prefix: '%' }))).toEqual(['%x']);
      expect(await list(() => store.listSessions({ prefix: 'user' }))).toEqual([
        'user',
        'user:1',
        'user:2',
        'user_3',
        'usera',
      ]);
      expect(await list(() => store.listSessions({ prefix: 'nobody' }))).toEqual([]);
    });

    it('after is an exclusive cursor, with prefix and limit', async () => {
      const store = await h.open();
      await createSessions(store, ['a1', 'a2', 'a3', 'b1', 'b2']);
      expect(await list(() => store.listSessions({ after: 'a1' }))).toEqual([
        'a2',
        'a3',
        'b1',
        'b2',
      ]);
      expect(await list(() => store.listSessions({ after: 'a2x' }))).toEqual(['a3', 'b1', 'b2']);
      expect(await list(() => store.listSessions({ after: 'a1', prefix: 'a' }))).toEqual([
        'a2',
        'a3',
      ]);
      expect(await list(() => store.listSessions({ after: 'a', limit: 2 }))).toEqual(['a1', 'a2']);
      expect(await list(() => store.listSessions({ limit: 0 }))).toEqual([]);
      expect(await list(() => store.listSessions({ after: 'b2' }))).toEqual([]);
    });

    it('pages through many sessions, resuming from the last id yielded', async () => {
      const store = await h.open();
      const ids = Array.from({ length: 250 }, (_, k) => `s-${String(k).padStart(3, '0')}`);
      await createSessions(store, ids);
      expect(await list(() => store.listSessions())).toEqual(ids);
      const firstPart = await list(() => store.listSessions({ limit: 120 }));
      expect(firstPart).toEqual(ids.slice(0, 120));
      expect(await list(() => store.listSessions({ after: firstPart.at(-1)! }))).toEqual(
        ids.slice(120),
      );
    });

    it('yields each session that exists throughout exactly once while others come and go', async () => {
      const store = await h.open();
      const ids = Array.from({ length: 250 }, (_, k) => `s-${String(k).padStart(3, '0')}`);
      await createSessions(store, ids);
      const gone = new Set(ids.filter((_, k) => k % 7 === 3 && k > 60));
      const seen: string[] = [];
      for await (const s of store.listSessions()) {
        seen.push(s.sessionId);
        if (seen.length === 50) {
          for (const id of gone) await store.deleteSession(id);
          // New sessions on both sides of the cursor.
          await createSessions(store, ['s-000a', 's-100a', 's-249a', 'zz-new']);
        }
      }
      const stayed = ids.filter((id) => !gone.has(id));
      for (const id of stayed) expect(seen.filter((s) => s === id)).toHaveLength(1);
      // Created before the listing reached its place (core asks 100 at a time).
      expect(seen).toContain('zz-new');
      expect([...seen].sort(byCodePoint)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('leaving the loop early is clean, and the store stays usable', async () => {
      const store = await h.open();
      await createSessions(store, ['a', 'b', 'c']);
      for await (const s of store.listSessions()) {
        expect(s.sessionId).toBe('a');
        break;
      }
      await store.append(envelope(9, { sessionId: 'd' }));
      expect(await list(() => store.listSessions())).toEqual(['a', 'b', 'c', 'd']);
    });

    it('rejects bad arguments with InvalidArgumentError naming the field', async () => {
      const store = await h.open();
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => list(() => store.listSessions({ limit: -1 })), 'options.limit'],
        [() => list(() => store.listSessions({ limit: 1.5 })), 'options.limit'],
        [() => list(() => store.listSessions({ after: 3 as never })), 'options.after'],
        [() => list(() => store.listSessions({ prefix: 'a\0' })), 'options.prefix'],
        [() => list(() => store.listSessions({ bogus: 1 } as never)), 'options.bogus'],
        [() => list(() => store.listSessions('x' as never)), 'options'],
        [() => store.getSession(''), 'sessionId'],
        [() => store.getSession(7 as never), 'sessionId'],
      ];
      for (const [attempt, field] of cases) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT'), field).toBe(true);
        expect((error as { field: string }).field).toBe(field);
      }
    });

    if (subject.capabilities.persistent) {
      it('sessions survive reopening', async () => {
        const store = await h.open();
        await createSessions(store, ['x', 'y']);
        await store.append(envelope(5, { sessionId: 'x' }));
        const before = await store.getSession('x');
        await h.close(store);
        const reopened = await h.open();
        expect(await list(() => reopened.listSessions())).toEqual(['x', 'y']);
        expect(await reopened.getSession('x')).toEqual(before);
      });
    }
  });
}
