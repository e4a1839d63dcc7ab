import type { Envelope } from '@history/core';
import { Random } from './random.js';

const WORDS =
  'the agent tool call result file line error test build run check read write update session user assistant message context model token stream replay store event batch commit index query page cursor value option config function return type string number array object await promise retry timeout schema table column migration patch diff branch review summary plan step'.split(
    ' ',
  );
const TOOLS = ['read_file', 'write_file', 'run_tests', 'grep', 'list_dir', 'bash', 'web_fetch'];
/** Session timelines start here; events are seconds apart, so `from`/`to` filters have real spans. */
const EPOCH_MS = Date.parse('2026-01-01T00:00:00.000Z');

function words(random: Random, min: number, max: number): string {
  const n = random.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(random.pick(WORDS));
  return out.join(' ');
}

/** A tool output of about `bytes` characters: code-like lines, as agents read them back. */
function toolOutput(random: Random, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${random.int(1, 9999)}: ${words(random, 4, 14)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/**
 * The payload of event `index` of a session: mostly short user/assistant turns
 * and tool calls, and tool results of which about 3% are 20-50 KB (file reads,
 * test logs): the long tail. Mean envelope JSON is about 600 bytes.
 */
function event(random: Random, sessionId: string, index: number): Envelope {
  const roll = random.next();
  const occurredAt = new Date(EPOCH_MS + index * 1000 + random.int(0, 999)).toISOString();
  const base = {
    id: `${sessionId}:${index.toString(36)}:${random.int(0, 0xffffff).toString(16)}`,
    sessionId,
    occurredAt,
    source: 'agent',
    traceId: `t-${Math.floor(index / 8)}`,
  };
  if (roll < 0.18) {
    return { ...base, type: 'user.message', payload: { role: 'user', text: words(random, 5, 40) } };
  }
  if (roll < 0.5) {
    return {
      ...base,
      type: 'assistant.message',
      payload: { role: 'assistant', text: words(random, 10, 60), tokens: random.int(20, 400) },
    };
  }
  if (roll < 0.74) {
    return {
      ...base,
      type: 'tool.call',
      payload: {
        tool: random.pick(TOOLS),
        args: { path: `src/${words(random, 1, 3).replaceAll(' ', '/')}.ts` },
      },
    };
  }
  const large = random.next() < 0.03;
  return {
    ...base,
    type: 'tool.result',
    payload: {
      tool: random.pick(TOOLS),
      ok: random.next() > 0.1,
      output: toolOutput(random, large ? random.int(20_000, 50_000) : random.int(40, 400)),
    },
  };
}

/** Derives a per-session seed, so any session can be generated alone and identically. */
function sessionSeed(seed: number, sessionId: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < sessionId.length; i++) h = Math.imul(h ^ sessionId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The first `count` events of one session, deterministic for (seed, sessionId). */
export function sessionEvents(seed: number, sessionId: string, count: number): Envelope[] {
  const random = new Random(sessionSeed(seed, sessionId));
  const out: Envelope[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = event(random, sessionId, i);
  return out;
}

/**
 * `total` events spread over `sessions` sessions named `${prefix}-${n}`,
 * interleaved the way many concurrent agents produce them (round robin with
 * seeded jitter), each session's events in order.
 */
export function interleavedEvents(
  seed: number,
  prefix: string,
  sessions: number,
  total: number,
): Envelope[] {
  const perSession = Math.ceil(total / sessions);
  const streams = Array.from({ length: sessions }, (_, n) =>
    sessionEvents(seed, `${prefix}-${n}`, perSession),
  );
  const cursor = new Array<number>(sessions).fill(0);
  const random = new Random(seed);
  const out: Envelope[] = [];
  while (out.length < total) {
    let s = random.int(0, sessions - 1);
    while (cursor[s]! >= perSession) s = (s + 1) % sessions;
    out.push(streams[s]![cursor[s]!++]!);
  }
  return out;
}

/** UTF-8 bytes of the envelopes' JSON, in all. */
export function jsonBytes(envelopes: readonly Envelope[]): number {
  let bytes = 0;
  for (const e of envelopes) bytes += Buffer.byteLength(JSON.stringify(e), 'utf8');
  return bytes;
}

/** Sizes of the envelopes' JSON, for the report. */
export function describeWorkload(envelopes: readonly Envelope[]): {
  events: number;
  bytes: number;
  meanBytes: number;
  p99Bytes: number;
  maxBytes: number;
  /** Share of envelopes of 20 KB or more: the long tail. */
  largeShare: number;
} {
  const sizes = envelopes
    .map((e) => Buffer.byteLength(JSON.stringify(e), 'utf8'))
    .sort((a, b) => a - b);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  return {
    events: sizes.length,
    bytes,
    meanBytes: Math.round(bytes / Math.max(sizes.length, 1)),
    p99Bytes: sizes[Math.floor(sizes.length * 0.99)] ?? 0,
    maxBytes: sizes.at(-1) ?? 0,
    largeShare:
      Math.round((sizes.filter((s) => s >= 20_000).length / Math.max(sizes.length, 1)) * 10000) /
      10000,
  };
}
