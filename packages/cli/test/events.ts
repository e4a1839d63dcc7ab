import type { Envelope } from '@history/core';

const WORDS = 'the agent tool call result file line error test build run read write session'.split(
  ' ',
);

/**
 * Agent-like envelopes: `perSession` events in each of `sessions` sessions (ids
 * `${prefix}-0000`...), interleaved round robin as concurrent agents append them; texts of
 * varied length, a unicode character and a nested payload, so the bytes are worth comparing.
 */
export function agentEvents(
  sessions: number,
  perSession: number,
  options: { prefix?: string; ttlMs?: number; start?: number } = {},
): Envelope[] {
  const prefix = options.prefix ?? 'session';
  const start = options.start ?? 0;
  const out: Envelope[] = [];
  for (let k = start; k < start + perSession; k++) {
    for (let s = 0; s < sessions; s++) {
      const i = k * sessions + s;
      const text = Array.from(
        { length: 5 + (i % 40) },
        (_, w) => WORDS[(i * 7 + w) % WORDS.length],
      ).join(' ');
      out.push({
        id: `${s}:${k}`,
        type: i % 4 === 0 ? 'user.message' : 'assistant.message',
        sessionId: `${prefix}-${String(s).padStart(4, '0')}`,
        occurredAt: new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString(),
        payload: { role: i % 4 === 0 ? 'user' : 'assistant', text: `${text} é`, n: i, tags: ['a'] },
        ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      });
    }
  }
  return out;
}

/** Envelopes as the JSON lines `history import` reads. */
export function jsonl(envelopes: readonly Envelope[]): string {
  return envelopes.map((e) => `${JSON.stringify(e)}\n`).join('');
}

export interface ExportedLine {
  sessionId: string;
  seq: number;
  createdAt: string;
  /** The envelope's JSON text, exactly as the line holds it. */
  envelope: string;
}

/** Splits `history export` output into its lines, keeping each envelope's exact text. */
export function exportedLines(text: string): ExportedLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const m =
        /^\{"sessionId":("(?:[^"\\]|\\.)*"),"seq":(\d+),"createdAt":"([^"]+)","envelope":(.*)\}$/.exec(
          line,
        );
      if (!m) throw new Error(`not an export line: ${line}`);
      return { sessionId: JSON.parse(m[1]!), seq: Number(m[2]), createdAt: m[3]!, envelope: m[4]! };
    });
}

/** An export without commit times (which differ between stores): session, seq, envelope. */
export function withoutCommitTimes(text: string): string[] {
  return exportedLines(text).map((l) => `${JSON.stringify(l.sessionId)} ${l.seq} ${l.envelope}`);
}
