import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  AppendResult,
  Checkpoint,
  Envelope,
  HistoryRange,
  HistoryRecord,
} from '@history/core';
import { nextSeq } from '../next-seq.js';
import { appendOneByOne, type BaselineStore } from '../subject.js';

interface Line {
  seq: number;
  id: string;
  sessionId: string;
  createdAt: string;
  envelope: Envelope;
}

/**
 * The previous file store: a directory per session, `mkdir` + `appendFile`
 * for every event, and the whole file read and parsed on every replay.
 */
export async function openFileBaseline(root: string): Promise<BaselineStore> {
  // The previous store counted seqs in memory from the session's first append.
  const seqOf = nextSeq(() => 0);
  const dirOf = (sessionId: string) => join(root, encodeURIComponent(sessionId));

  const append = async (envelope: Envelope): Promise<AppendResult> => {
    const sessionId = envelope.sessionId ?? 'default';
    const seq = seqOf(sessionId);
    const line: Line = {
      seq,
      id: envelope.id,
      sessionId,
      createdAt: new Date().toISOString(),
      envelope,
    };
    await mkdir(dirOf(sessionId), { recursive: true });
    await appendFile(join(dirOf(sessionId), 'events.jsonl'), `${JSON.stringify(line)}\n`);
    return { id: envelope.id, sessionId, seq, duplicate: false };
  };

  async function* stream(
    sessionId: string,
    range: HistoryRange = {},
  ): AsyncIterable<HistoryRecord> {
    let text: string;
    try {
      text = await readFile(join(dirOf(sessionId), 'events.jsonl'), 'utf8');
    } catch {
      return;
    }
    const from = range.from ? Date.parse(range.from) : undefined;
    const to = range.to ? Date.parse(range.to) : undefined;
    const lines = text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => range.after === undefined || l.seq > range.after)
      .filter((l) => from === undefined || Date.parse(l.envelope.occurredAt) >= from)
      .filter((l) => to === undefined || Date.parse(l.envelope.occurredAt) <= to);
    if (range.direction === 'backward') lines.reverse();
    for (const l of lines.slice(0, range.limit ?? lines.length)) {
      yield {
        id: l.id,
        sessionId: l.sessionId,
        seq: l.seq,
        envelope: l.envelope,
        createdAt: l.createdAt,
      };
    }
  }

  return {
    append,
    appendMany: appendOneByOne(append),
    stream,
    async checkpoint(sessionId, payload, opts) {
      const cp: Checkpoint = { sessionId, payload, createdAt: new Date().toISOString(), ...opts };
      await mkdir(dirOf(sessionId), { recursive: true });
      await writeFile(join(dirOf(sessionId), 'checkpoint.json'), JSON.stringify(cp));
    },
    async getCheckpoint(sessionId) {
      try {
        return JSON.parse(await readFile(join(dirOf(sessionId), 'checkpoint.json'), 'utf8'));
      } catch {
        return null;
      }
    },
    async close() {},
    async bulkLoad(envelopes) {
      const sessionId = envelopes[0]?.sessionId ?? 'default';
      const createdAt = new Date().toISOString();
      const text = envelopes
        .map(
          (envelope) =>
            `${JSON.stringify({ seq: seqOf(sessionId), id: envelope.id, sessionId, createdAt, envelope })}\n`,
        )
        .join('');
      await mkdir(dirOf(sessionId), { recursive: true });
      await writeFile(join(dirOf(sessionId), 'events.jsonl'), text);
    },
  };
}
