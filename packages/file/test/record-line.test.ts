import { envelope } from '@history/contract-tests';
import { describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { parseRecordLine, recordLineHead } from '../src/record-line.js';
import { tempRoot } from './temp-root.js';

const awkwardIds = [
  'plain',
  'quote"inside',
  'back\\slash',
  'new\nline',
  '\u0001\u001f',
  ',"envelope":{}',
  'ünïcödé 🎉',
  '\u2028\u2029',
];
const createdAt = '2025-01-01T00:00:00.000Z';

describe('record lines', () => {
  it('round-trip every id, the time and the envelope text verbatim', () => {
    for (const [i, id] of awkwardIds.entries()) {
      const json = JSON.stringify({ id, payload: { nul: '\u0000', lone: '\ud800' } });
      const line = `${recordLineHead(i + 1, id, -1234 + i, createdAt)}${json}}`;
      expect(JSON.parse(line)).toMatchObject({ seq: i + 1, id, at: -1234 + i, createdAt });
      expect(parseRecordLine(line)).toEqual({ seq: i + 1, id, at: -1234 + i, createdAt, json });
    }
  });

  it('rejects lines that are not records', () => {
    for (const line of [
      '',
      '{}',
      'garbage',
      '{"seq":0,"id":"a","at":1,"createdAt":"x","envelope":{}}',
      '{"seq":1,"id":"a","at":1,"createdAt":"x","envelope":}',
    ]) {
      expect(parseRecordLine(line)).toBeUndefined();
    }
  });

  it('keeps awkward ids idempotent across a reopen (the scan reads them back)', async () => {
    const root = await tempRoot();
    try {
      const envelopes = awkwardIds.map((id, i) => envelope(i + 1, { id, sessionId: 's' }));
      let store = await createFileHistoryStore({ root: root.path });
      await store.appendMany(envelopes);
      await store.close();
      store = await createFileHistoryStore({ root: root.path });
      const again = await store.appendMany(envelopes);
      expect(again.map((r) => [r.seq, r.duplicate])).toEqual(
        awkwardIds.map((_, i) => [i + 1, true]),
      );
      const read = [];
      for await (const r of store.stream('s')) read.push(r.id);
      expect(read).toEqual(awkwardIds);
      await store.close();
    } finally {
      await root.remove();
    }
  });
});
