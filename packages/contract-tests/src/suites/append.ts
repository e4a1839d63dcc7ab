import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, ids } from '../harness.js';

/** Appending, results and idempotency by id. */
export function appendSuite(_subject: ContractSubject, h: Harness): void {
  describe('append and idempotency', () => {
    it('resolves with seq 1 for the first envelope of a session', async () => {
      const store = await h.open();
      const result = await store.append(envelope(1));
      expect(result).toEqual({ id: 'evt-1', sessionId: 's1', seq: 1, duplicate: false });
    });

    it('gives each session its own increasing seq', async () => {
      const store = await h.open();
      const a1 = await store.append(envelope(1, { sessionId: 'a' }));
      const b1 = await store.append(envelope(2, { sessionId: 'b' }));
      const a2 = await store.append(envelope(3, { sessionId: 'a' }));
      expect([a1.seq, b1.seq, a2.seq]).toEqual([1, 1, 2]);
    });

    it('stores nothing new for an id already in the session and says so', async () => {
      const store = await h.open();
      const first = await store.append(envelope(1));
      await store.append(envelope(2));
      const again = await store.append(envelope(1, { payload: 'changed' }));
      expect(again).toEqual({ ...first, duplicate: true });
      const records = await collect(() => store.stream('s1'));
      expect(records.map((r) => r.id)).toEqual(['evt-1', 'evt-2']);
      expect(records[0]!.envelope.payload).toEqual({ i: 1, text: 'message 1' });
    });

    it('scopes idempotency to the session', async () => {
      const store = await h.open();
      const a = await store.append(envelope(1, { sessionId: 'a' }));
      const b = await store.append(envelope(1, { sessionId: 'b' }));
      expect(a.duplicate).toBe(false);
      expect(b.duplicate).toBe(false);
      expect(await ids(() => store.stream('b'))).toEqual(['evt-1']);
    });

    it('appendMany returns one result per envelope, in order', async () => {
      const store = await h.open();
      const results = await store.appendMany(envelopes(5));
      expect(results.map((r) => [r.id, r.seq, r.duplicate])).toEqual([
        ['evt-1', 1, false],
        ['evt-2', 2, false],
        ['evt-3', 3, false],
        ['evt-4', 4, false],
        ['evt-5', 5, false],
      ]);
    });

    it('appendMany of an empty array resolves to an empty array', async () => {
      const store = await h.open();
      expect(await store.appendMany([])).toEqual([]);
      expect(await collect(() => store.stream('s1'))).toEqual([]);
    });

    it('flags a repeated id within one appendMany as a duplicate of the first', async () => {
      const store = await h.open();
      const results = await store.appendMany([envelope(1), envelope(2), envelope(1)]);
      expect(results.map((r) => [r.seq, r.duplicate])).toEqual([
        [1, false],
        [2, false],
        [1, true],
      ]);
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-1', 'evt-2']);
    });

    it('makes retrying a whole batch safe: every envelope comes back as a duplicate', async () => {
      const store = await h.open();
      const batch = envelopes(100);
      const first = await store.appendMany(batch);
      const retry = await store.appendMany(batch);
      expect(retry.every((r) => r.duplicate)).toBe(true);
      expect(retry.map((r) => r.seq)).toEqual(first.map((r) => r.seq));
      expect(await collect(() => store.stream('s1'))).toHaveLength(100);
    });

    it('mixes new and known ids in one appendMany', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      const results = await store.appendMany([envelope(2), envelope(4), envelope(3), envelope(5)]);
      expect(results.map((r) => [r.id, r.seq, r.duplicate])).toEqual([
        ['evt-2', 2, true],
        ['evt-4', 4, false],
        ['evt-3', 3, true],
        ['evt-5', 5, false],
      ]);
    });

    it('reads every envelope field back exactly', async () => {
      const store = await h.open();
      const full = envelope(1, {
        source: 'agent-7',
        traceId: 'trace-abc',
        // Long enough not to expire: expired events are never streamed.
        ttlMs: 100 * 365 * 86_400_000,
        headers: { 'x-model': 'm-1', retries: 2, nested: { ok: true } },
        occurredAt: '2025-03-04T05:06:07.891+05:30',
      });
      await store.append(full);
      const [record] = await collect(() => store.stream('s1'));
      expect(record!.envelope).toEqual(full);
      expect(record!.id).toBe('evt-1');
      expect(record!.sessionId).toBe('s1');
      expect(record!.seq).toBe(1);
      expect(Number.isNaN(Date.parse(record!.createdAt))).toBe(false);
    });

    it('keeps unknown envelope fields rather than dropping them', async () => {
      const store = await h.open();
      const extended = { ...envelope(1), schemaVersion: 2, role: 'assistant' };
      await store.append(extended);
      const [record] = await collect(() => store.stream('s1'));
      expect(record!.envelope).toEqual(extended);
    });

    it('files an envelope without sessionId under the default session', async () => {
      const store = await h.open();
      const { sessionId: _, ...anonymous } = envelope(1);
      const result = await store.append(anonymous);
      expect(result.sessionId).toBe('default');
      const [record] = await collect(() => store.stream('default'));
      expect(record!.sessionId).toBe('default');
      expect(record!.envelope).toEqual(anonymous);
    });

    it('honours the defaultSessionId option', async () => {
      const store = await h.open({ defaultSessionId: 'inbox' });
      const { sessionId: _, ...anonymous } = envelope(1);
      expect((await store.append(anonymous)).sessionId).toBe('inbox');
      expect(await ids(() => store.stream('inbox'))).toEqual(['evt-1']);
    });

    it('round-trips awkward payload strings and JSON values exactly', async () => {
      const store = await h.open();
      const payloads: unknown[] = [
        'NUL\u0000inside',
        'emoji 🧠🔧 and 会话 and עברית',
        'lone surrogate \ud800 end',
        'line\nbreak\r\ncrlf\u2028ls\u2029ps\ttab',
        'quotes " \' and backslashes \\ \\\\',
        '{"looks":"like json"}',
        null,
        true,
        0,
        -1.5e-300,
        1.7976931348623157e308,
        Number.MAX_SAFE_INTEGER,
        [],
        {},
        [1, 'two', { three: [null, false] }],
        { deep: { deeper: { deepest: { a: [{ b: [{ c: 'd' }] }] } } } },
        { '': 'empty key', 'a.b': 1, 'with space': 2, __proto__x: 3 },
      ];
      await store.appendMany(payloads.map((payload, i) => envelope(i + 1, { payload })));
      const records = await collect(() => store.stream('s1'));
      expect(records.map((r) => r.envelope.payload)).toEqual(payloads);
    });

    it('hands out fresh envelope objects on every read', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      const [first] = await collect(() => store.stream('s1'));
      (first!.envelope.payload as { i: number }).i = 999;
      const [second] = await collect(() => store.stream('s1'));
      expect(second!.envelope.payload).toEqual({ i: 1, text: 'message 1' });
    });

    it('snapshots the envelope at append time', async () => {
      const store = await h.open();
      const e = envelope(1, { payload: { n: 1 } });
      const pending = store.append(e);
      (e.payload as { n: number }).n = 2;
      await pending;
      const [record] = await collect(() => store.stream('s1'));
      expect(record!.envelope.payload).toEqual({ n: 1 });
    });
  });
}
