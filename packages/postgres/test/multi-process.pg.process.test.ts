import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppendResult } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

const WORKER = fileURLToPath(new URL('./fixtures/append-worker.mjs', import.meta.url));
const PER_PROCESS = 1000;

interface WorkerOutput {
  results: AppendResult[];
  again: AppendResult[];
}

/** Starts a worker; `ready` resolves once its store is open, `go()` lets it append. */
function runWorker(url: string, schema: string, prefix: string) {
  let go = () => {};
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const done = new Promise<WorkerOutput>((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        HISTORY_TEST_URL: url,
        HISTORY_TEST_SCHEMA: schema,
        HISTORY_TEST_PREFIX: prefix,
        HISTORY_TEST_COUNT: String(PER_PROCESS),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    go = () => child.stdin.write('go\n');
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) onReady();
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out.slice('ready\n'.length)));
      else reject(new Error(`worker ${prefix} exited with ${code}: ${err}`));
    });
  });
  return { ready, go: () => go(), done };
}

for (const target of pgTargets()) {
  describe(`two processes appending to one session (${target.name})`, () => {
    const schema = freshSchemaName('multiproc');
    afterEach(() => dropSchema(target.url, schema));

    it('stores every event exactly once with unique, increasing seqs', async () => {
      // Both processes also migrate the fresh schema at the same moment.
      const workers = [runWorker(target.url, schema, 'a'), runWorker(target.url, schema, 'b')];
      await Promise.race([
        Promise.all(workers.map((w) => w.ready)),
        Promise.all(workers.map((w) => w.done)), // surfaces a worker that failed before ready
      ]);
      for (const w of workers) w.go();
      const [a, b] = (await Promise.all(workers.map((w) => w.done))) as [
        WorkerOutput,
        WorkerOutput,
      ];
      const pool = testPool(target.url, 1);
      try {
        const { rows } = await pool.query<{ id: string; seq: string }>(
          `SELECT id, seq FROM ${quoteIdentifier(schema)}.events WHERE session_id = 'shared' ORDER BY seq`,
        );
        expect(rows.length).toBe(2 * PER_PROCESS);
        expect(rows.map((r) => Number(r.seq))).toEqual(
          Array.from({ length: 2 * PER_PROCESS }, (_, k) => k + 1),
        );
        expect(new Set(rows.map((r) => r.id)).size).toBe(2 * PER_PROCESS);
        const stored = new Map(rows.map((r) => [r.id, Number(r.seq)]));
        for (const [prefix, output] of [
          ['a', a],
          ['b', b],
        ] as const) {
          const seqs = output.results.map((r) => r.seq);
          // Each process saw its own appends in order, with the seq the database holds.
          expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
          expect(output.results.every((r) => !r.duplicate && stored.get(r.id) === r.seq)).toBe(
            true,
          );
          expect(output.again).toEqual([
            {
              id: `${prefix}-0`,
              sessionId: 'shared',
              seq: stored.get(`${prefix}-0`),
              duplicate: true,
            },
            {
              id: `${prefix}-1`,
              sessionId: 'shared',
              seq: stored.get(`${prefix}-1`),
              duplicate: true,
            },
          ]);
        }
        // The writes really interleaved: neither process got one contiguous block.
        const owners = rows.map((r) => r.id[0]).join('');
        expect(owners).toMatch(/a+b+a+|b+a+b+/);
      } finally {
        await pool.end();
      }
    });

    it('a follower in a third process sees every event once, in seq order', async () => {
      const store = await createPostgresHistoryStore({
        connectionString: target.url,
        schema,
        followPollMs: 10,
      });
      try {
        const workers = [runWorker(target.url, schema, 'a'), runWorker(target.url, schema, 'b')];
        await Promise.race([
          Promise.all(workers.map((w) => w.ready)),
          Promise.all(workers.map((w) => w.done)),
        ]);
        const controller = new AbortController();
        const seen: { seq: number; id: string }[] = [];
        const following = (async () => {
          for await (const r of store.stream('shared', {
            follow: true,
            signal: controller.signal,
          })) {
            seen.push({ seq: r.seq, id: r.id });
            if (seen.length === 2 * PER_PROCESS) controller.abort();
          }
        })();
        for (const w of workers) w.go();
        await Promise.all(workers.map((w) => w.done));
        await following;
        // Single appends and COPY batches of both processes, each once, with no gap.
        expect(seen.map((r) => r.seq)).toEqual(
          Array.from({ length: 2 * PER_PROCESS }, (_, k) => k + 1),
        );
        expect(new Set(seen.map((r) => r.id)).size).toBe(2 * PER_PROCESS);
      } finally {
        await store.close();
      }
    });
  });
}
