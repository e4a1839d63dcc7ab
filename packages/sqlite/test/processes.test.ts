import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

interface Child {
  proc: ChildProcess;
  acks: Map<string, number>;
  stderr: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function run(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [fixture(script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks = new Map<string, number>();
  let rest = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [kind, id, seq] = line.split(' ');
      if (kind === 'ack') acks.set(id!, Number(seq));
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { proc, acks, stderr: () => err, exited };
}

async function readAll(filename: string, sessionId: string) {
  const store = await createSqliteHistoryStore({ filename, worker: false });
  const records: { id: string; seq: number }[] = [];
  for await (const r of store.stream(sessionId)) records.push({ id: r.id, seq: r.seq });
  await store.close();
  return records;
}

function integrity(filename: string): string {
  const db = new Database(filename, { readonly: true });
  const result = db.pragma('integrity_check', { simple: true }) as string;
  db.close();
  return result;
}

describe('processes', () => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db?.cleanup());

  it('close() ends every worker thread: the process exits on its own', async () => {
    db = tempDb();
    const child = run('close-exits.mjs', [db.filename]);
    const timeout = setTimeout(() => child.proc.kill('SIGKILL'), 30_000);
    const [code, signal] = await child.exited;
    clearTimeout(timeout);
    expect(child.stderr()).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('two processes appending to one session interleave without loss, error or duplicate seq', async () => {
    db = tempDb();
    const perChild = 1500;
    const children = ['a', 'b'].map((p) =>
      run('append-loop.mjs', [db.filename, 'shared', p, String(perChild), '8']),
    );
    const exits = await Promise.all(children.map((c) => c.exited));
    for (const [i, [code]] of exits.entries()) {
      expect(children[i]!.stderr()).toBe('');
      expect(code).toBe(0);
    }
    const records = await readAll(db.filename, 'shared');
    expect(records).toHaveLength(2 * perChild);
    // seq is 1..n, strictly increasing, unique.
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const byId = new Map(records.map((r) => [r.id, r.seq]));
    for (const child of children) {
      expect(child.acks.size).toBe(perChild);
      for (const [id, seq] of child.acks) expect(byId.get(id)).toBe(seq);
    }
    // Both writers really interleaved rather than running one after the other.
    const firstOfB = records.findIndex((r) => r.id.startsWith('b-'));
    const lastOfA = records.findLastIndex((r) => r.id.startsWith('a-'));
    expect(firstOfB).toBeLessThan(lastOfA);
    expect(integrity(db.filename)).toBe('ok');
  });

  it('four processes creating the same new file at once all open it and append', async () => {
    db = tempDb();
    const children = ['p', 'q', 'r', 's'].map((p) =>
      run('append-loop.mjs', [db.filename, p, p, '50', '4']),
    );
    const exits = await Promise.all(children.map((c) => c.exited));
    for (const [i, [code]] of exits.entries()) {
      expect(children[i]!.stderr()).toBe('');
      expect(code).toBe(0);
    }
    for (const session of ['p', 'q', 'r', 's']) {
      const records = await readAll(db.filename, session);
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    }
    expect(integrity(db.filename)).toBe('ok');
  });

  it('SIGKILL mid-ingest loses no acknowledged append and leaves an intact database', async () => {
    db = tempDb();
    const child = run('append-loop.mjs', [db.filename, 'crash', 'c', '0', '16']);
    // Let it commit a good number of batches, then kill it without warning.
    while (child.acks.size < 3000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (child.proc.exitCode !== null) throw new Error(`child exited early: ${child.stderr()}`);
    }
    child.proc.kill('SIGKILL');
    const [, signal] = await child.exited;
    expect(signal).toBe('SIGKILL');
    const acked = new Map(child.acks);

    expect(integrity(db.filename)).toBe('ok');
    const records = await readAll(db.filename, 'crash');
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(records.map((r) => [r.id, r.seq]));
    for (const [id, seq] of acked) expect(byId.get(id)).toBe(seq);
    expect(records.length).toBeGreaterThanOrEqual(acked.size);
  });
});
