import { ClosedError, HistoryError } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, seqs } from '../harness.js';

/** deleteSession: erasure, ordering against appends, seqs that never go backwards. */
export function deleteSessionSuite(subject: ContractSubject, h: Harness): void {
  describe('deleteSession', () => {
    it('erases the events and the checkpoint, and only that session', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(5));
      await store.appendMany(envelopes(3, { sessionId: 's2' }, 10));
      await store.checkpoint('s1', { v: 1 }, { seq: 5 });
      await store.checkpoint('s2', { v: 2 });
      await expect(store.deleteSession('s1')).resolves.toEqual({ deletedEvents: 5 });
      expect(await collect(() => store.stream('s1'))).toEqual([]);
      expect(await store.getSession('s1')).toBeNull();
      expect(await store.getCheckpoint('s1')).toBeNull();
      const listed: string[] = [];
      for await (const s of store.listSessions()) listed.push(s.sessionId);
      expect(listed).toEqual(['s2']);
      expect(await seqs(() => store.stream('s2'))).toEqual([1, 2, 3]);
      expect((await store.getCheckpoint('s2'))?.payload).toEqual({ v: 2 });
    });

    it('an unknown session deletes nothing, and a checkpoint-only one loses its checkpoint', async () => {
      const store = await h.open();
      await expect(store.deleteSession('nobody')).resolves.toEqual({ deletedEvents: 0 });
      await store.checkpoint('cp-only', 'state');
      await expect(store.deleteSession('cp-only')).resolves.toEqual({ deletedEvents: 0 });
      expect(await store.getCheckpoint('cp-only')).toBeNull();
    });

    it('erases appends made before the call, even those not yet committed', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(2));
      const pending = [3, 4, 5].map((i) => store.append(envelope(i)));
      const deleted = store.deleteSession('s1');
      expect((await Promise.all(pending)).map((r) => r.seq)).toEqual([3, 4, 5]);
      await expect(deleted).resolves.toEqual({ deletedEvents: 5 });
      expect(await collect(() => store.stream('s1'))).toEqual([]);
    });

    it('orders appends made during the call after it: they start the session afresh', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      const deleted = store.deleteSession('s1');
      const late = store.append(envelope(4));
      await expect(deleted).resolves.toEqual({ deletedEvents: 3 });
      await expect(late).resolves.toMatchObject({ seq: 4, duplicate: false });
      expect(await seqs(() => store.stream('s1'))).toEqual([4]);
    });

    it('a recreated session continues after the last seq ever handed out', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      await store.deleteSession('s1');
      // Old ids are new events in the recreated session.
      const again = await store.appendMany(envelopes(2));
      expect(again.map((r) => [r.seq, r.duplicate])).toEqual([
        [4, false],
        [5, false],
      ]);
      expect(await store.getSession('s1')).toMatchObject({ lastSeq: 5, eventCount: 2 });
      // An old cursor is still safe: nothing between the old end and the new events.
      expect(await seqs(() => store.stream('s1', { after: 3 }))).toEqual([4, 5]);
      await store.deleteSession('s1');
      await expect(store.append(envelope(1))).resolves.toMatchObject({ seq: 6 });
    });

    it('rejects a bad session id, and rejects after close', async () => {
      const store = await h.open();
      for (const bad of ['', 7, 'a\0b']) {
        const error = await store.deleteSession(bad as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT')).toBe(true);
        expect((error as { field: string }).field).toBe('sessionId');
      }
      await store.close();
      await expect(store.deleteSession('s1')).rejects.toSatisfy(ClosedError.isInstance);
    });

    it('close() lets a delete already asked for finish', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(4));
      const deleted = store.deleteSession('s1');
      await h.close(store);
      await expect(deleted).resolves.toEqual({ deletedEvents: 4 });
      if (subject.capabilities.persistent) {
        const reopened = await h.open();
        expect(await collect(() => reopened.stream('s1'))).toEqual([]);
      }
    });

    if (subject.capabilities.persistent) {
      it('stays deleted after reopening, and seqs still continue', async () => {
        const store = await h.open();
        await store.appendMany(envelopes(6));
        await store.checkpoint('s1', 'cp');
        await store.deleteSession('s1');
        await h.close(store);
        const reopened = await h.open();
        expect(await collect(() => reopened.stream('s1'))).toEqual([]);
        expect(await reopened.getSession('s1')).toBeNull();
        expect(await reopened.getCheckpoint('s1')).toBeNull();
        await expect(reopened.append(envelope(1))).resolves.toMatchObject({
          seq: 7,
          duplicate: false,
        });
      });
    }
  });
}
