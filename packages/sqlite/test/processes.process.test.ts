import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { envelope } from '@history/contract-tests';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

interface Child {
  proc: ChildProcess;
  acks: Map<string, number>;
  /** Resolves on each `ready`/`done` line the child prints. */
  nextMark(): Promise<void>;
  stderr: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function run(script: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [fixture(script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const acks = new Map<string, number>();
  const waiting: Array<{ target: number; resolve(): void }> = [];
  let seen = 0;
  let wanted = 0;
  let rest = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [kind, id, seq] = line.split(' ');
      if (kind === 'ack') acks.set(id!, Number(seq));
      else if (kind === 'ready' || kind === 'done') {
        seen++;
        while (waiting.length > 0 && waiting[0]!.target <= seen) waiting.shift()!.resolve();
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = once(proc, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const nextMark = () => {
    const target = ++wanted;
    if (seen >= target) return Promise.resolve();
    return new Promise<void>((resolve) => waiting.push({ target, resolve }));
  };
  return { proc, acks, nextMark, stderr: () => err, exited };
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
      run('append-loop.mjs', [db.filename, 'shared', p, String(perChild), '8'], {
        WAIT_FOR_GO: '1',
      }),
    );
    // Both open their store (threads, connections) first, then start appending together.
    await Promise.all(children.map((c) => c.nextMark()));
    for (const c of children) c.proc.stdin!.write('go\n');
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
    // Whether the two bursts overlap is up to the OS scheduler and SQLite's lock (one run
    // on a busy machine had all of a's commits before b's first): exact interleaving of
    // two processes is the next test's, driven step by step.
    expect(integrity(db.filename)).toBe('ok');
  });

  it('a main-thread writer and a writer-thread-only process alternating on one session keep seqs and idempotency', async () => {
    db = tempDb();
    // 'a' writes its small batches on its main thread; 'b' sends every batch to its writer thread.
    const a = run('append-steps.mjs', [db.filename, 'mixed', 'a']);
    const b = run('append-steps.mjs', [db.filename, 'mixed', 'b', '{"inlineWriteRows":0}']);
    await Promise.all([a.nextMark(), b.nextMark()]);
    // Exact alternation: each batch follows a commit of the other process, whose seqs and
    // ids the next batch must see (nothing is trusted from the process's own memory).
    for (let step = 0; step < 40; step++) {
      for (const child of step % 3 === 2 ? [b, a] : [a, b]) {
        child.proc.stdin!.write('8\n');
        await child.nextMark();
      }
    }
    a.proc.stdin!.end();
    b.proc.stdin!.end();
    const exits = await Promise.all([a.exited, b.exited]);
    for (const [i, [code]] of exits.entries()) {
      expect([a, b][i]!.stderr()).toBe('');
      expect(code).toBe(0);
    }
    const records = await readAll(db.filename, 'mixed');
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 640 }, (_, i) => i + 1));
    const byId = new Map(records.map((r) => [r.id, r.seq]));
    for (const child of [a, b]) {
      expect(child.acks.size).toBe(320);
      for (const [id, seq] of child.acks) expect(byId.get(id)).toBe(seq);
    }
    // Retrying acknowledged appends, through either path, stores nothing new.
    for (const inlineWriteRows of [256, 0]) {
      const store = await createSqliteHistoryStore({ filename: db.filename, inlineWriteRows });
      for (const child of [a, b]) {
        const acks = [...child.acks].slice(0, 100);
        const results = await store.appendMany(
          acks.map(([id, seq]) => envelope(seq, { id, sessionId: 'mixed' })),
        );
        expect(results.map((r) => [r.id, r.seq, r.duplicate])).toEqual(
          acks.map(([id, seq]) => [id, seq, true]),
        );
      }
      await store.close();
    }
    expect(await readAll(db.filename, 'mixed')).toHaveLength(640);
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
