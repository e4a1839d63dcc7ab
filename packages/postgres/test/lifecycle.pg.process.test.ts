import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore, migrate } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

const WORKER = fileURLToPath(new URL('./fixtures/lifecycle-worker.mjs', import.meta.url));

interface Result {
  id: string;
  seq: number;
  duplicate: boolean;
  expected?: number;
  phase?: number;
}

/** A lifecycle-worker.mjs child: `next(word)` waits for that stdout line, `send` writes one. */
function worker(url: string, schema: string, prefix: string, mode: string, count = 0) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [WORKER], {
    env: {
      ...process.env,
      HISTORY_TEST_URL: url,
      HISTORY_TEST_SCHEMA: schema,
      HISTORY_TEST_PREFIX: prefix,
      HISTORY_TEST_MODE: mode,
      HISTORY_TEST_COUNT: String(count),
    },
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let err = '';
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d;
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('close', (code) => {
      for (const w of waiters.splice(0)) w();
      if (code === 0) resolve();
      else reject(new Error(`worker ${prefix} exited with ${code}: ${err}`));
    });
  });
  exited.catch(() => {});
  /** The next stdout line (after the ones already read), once it arrives. */
  let read = 0;
  const line = async (): Promise<string> => {
    while (read >= lines.length) {
      if (child.exitCode !== null) await exited; // throws with stderr if it failed
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return lines[read++]!;
  };
  return {
    async next(word: string) {
      const got = await line();
      if (got !== word) throw new Error(`worker ${prefix}: expected ${word}, got ${got}: ${err}`);
    },
    async results(): Promise<Result[]> {
      const json = await line();
      await exited;
      return JSON.parse(json);
    },
    send: (word: string) => child.stdin.write(`${word}\n`),
  };
}

for (const target of pgTargets()) {
  describe(`session lifecycle across processes (${target.name})`, () => {
    const schema = freshSchemaName('lifeproc');
    afterEach(() => dropSchema(target.url, schema));

    it('conditional appends from two processes: each commits exactly at its expected seq', async () => {
      await migrate({ connectionString: target.url }, { schema });
      const COUNT = 100;
      const workers = ['a', 'b'].map((p) => worker(target.url, schema, p, 'conditional', COUNT));
      for (const w of workers) await w.next('ready');
      for (const w of workers) w.send('go');
      const [a, b] = await Promise.all(workers.map((w) => w.results()));
      const all = [...a!, ...b!];
      // Every success was written right after the seq its caller expected: no lost update.
      expect(all.every((r) => r.seq === r.expected! + 1 && !r.duplicate)).toBe(true);
      expect(all.map((r) => r.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 2 * COUNT }, (_, k) => k + 1),
      );
      const pool = testPool(target.url, 1);
      try {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n, max(seq)::int AS last FROM ${quoteIdentifier(schema)}.events`,
        );
        expect(rows[0]).toEqual({ n: 2 * COUNT, last: 2 * COUNT });
      } finally {
        await pool.end();
      }
    });

    it('deleteSession racing appends of two processes: each batch is wholly before or after it, erased events never come back', async () => {
      await migrate({ connectionString: target.url }, { schema });
      const workers = ['a', 'b'].map((p) => worker(target.url, schema, p, 'delete-race'));
      for (const w of workers) await w.next('ready');
      for (const w of workers) w.send('go');
      for (const w of workers) await w.next('half');
      // Both processes are now in phase 2, appending while the delete runs.
      const store = await createPostgresHistoryStore({ connectionString: target.url, schema });
      const { deletedEvents } = await store.deleteSession('shared');
      for (const w of workers) await w.next('waiting');
      for (const w of workers) w.send('late');
      const results = (await Promise.all(workers.map((w) => w.results()))).flat();
      const pool = testPool(target.url, 1);
      try {
        const { rows } = await pool.query<{ id: string; seq: string }>(
          `SELECT id, seq FROM ${quoteIdentifier(schema)}.events WHERE session_id = 'shared'`,
        );
        const stored = new Set(rows.map((r) => `${r.id}@${r.seq}`));
        const early = results.filter((r) => r.phase !== 3);
        const late = results.filter((r) => r.phase === 3);
        expect(results.every((r) => !r.duplicate)).toBe(true);
        const erased = early.filter((r) => !stored.has(`${r.id}@${r.seq}`));
        const kept = early.filter((r) => stored.has(`${r.id}@${r.seq}`));
        // One cut in seq order: everything before it erased, everything after it kept.
        const cut = Math.max(...erased.map((r) => r.seq));
        expect(kept.every((r) => r.seq > cut)).toBe(true);
        expect(erased.length).toBe(deletedEvents);
        expect(erased.filter((r) => r.phase === 1)).toHaveLength(2 * 50);
        // Appends after the delete: phase 1's ids again, new events after every earlier seq.
        const last = Math.max(...early.map((r) => r.seq));
        expect(late.every((r) => r.seq > last && stored.has(`${r.id}@${r.seq}`))).toBe(true);
        expect(rows.length).toBe(kept.length + late.length);
        expect(await store.getSession('shared')).toMatchObject({
          lastSeq: last + late.length,
          eventCount: kept.length + late.length,
        });
      } finally {
        await pool.end();
        await store.close();
      }
    });
  });
}
