import { ClosedError, HistoryError } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness } from '../harness.js';

/** flush() and close() semantics. */
export function lifecycleSuite(subject: ContractSubject, h: Harness): void {
  describe('flush and close', () => {
    it('close() commits everything appended before it', async () => {
      const store = await h.open();
      const pending = Array.from({ length: 500 }, (_, k) => store.append(envelope(k + 1)));
      await h.close(store);
      const results = await Promise.all(pending);
      expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, k) => k + 1));
      if (subject.capabilities.persistent) {
        const reopened = await h.open();
        expect(await collect(() => reopened.stream('s1'))).toHaveLength(500);
      }
    });

    it('close() is idempotent', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      await Promise.all([store.close(), store.close()]);
      await expect(store.close()).resolves.toBeUndefined();
    });

    it('rejects every operation after close with HISTORY_CLOSED', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      await store.close();
      const attempts: Array<() => Promise<unknown>> = [
        () => store.append(envelope(2)),
        () => store.appendMany(envelopes(2)),
        () => store.checkpoint('s1', {}),
        () => store.getCheckpoint('s1'),
        () => collect(() => store.stream('s1')),
      ];
      for (const attempt of attempts) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(ClosedError.isInstance(error)).toBe(true);
        expect(HistoryError.isInstance(error) && error.code).toBe('HISTORY_CLOSED');
      }
    });

    it('flush() resolves only after every earlier append settled', async () => {
      const store = await h.open();
      let settled = 0;
      const pending = Array.from({ length: 300 }, (_, k) =>
        store.append(envelope(k + 1)).finally(() => settled++),
      );
      await store.flush();
      expect(settled).toBe(300);
      await Promise.all(pending);
    });

    it('flush() on an idle store resolves at once', async () => {
      const store = await h.open();
      await expect(store.flush()).resolves.toBeUndefined();
      await store.append(envelope(1));
      await expect(store.flush()).resolves.toBeUndefined();
    });

    it('reports appends already queued when close() is called as committed, not closed', async () => {
      const store = await h.open();
      const many = store.appendMany(envelopes(200));
      const closing = store.close();
      // Attach the expectation before awaiting anything, so the rejection is never unhandled.
      const late = expect(store.append(envelope(999))).rejects.toMatchObject({
        code: 'HISTORY_CLOSED',
      });
      await closing;
      expect(await many).toHaveLength(200);
      await late;
    });
  });
}
