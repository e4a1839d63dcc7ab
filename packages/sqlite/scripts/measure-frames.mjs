// WAL frames per commit on the agent hot path: rounds of 16 single appends from 16
// sessions, one batch each, on the main-thread connection (which never checkpoints, so
// the WAL's frame count only grows). Pass another build's dist to compare releases:
//   node scripts/measure-frames.mjs [dist dir] [rounds] [ttl]
// (`ttl`: every event has an expiry, so the partial expiry index takes an entry each)
// e.g. node scripts/measure-frames.mjs /work/old-5ef4f53/packages/sqlite/dist
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] || new URL('../dist', import.meta.url).pathname);
const rounds = Number(process.argv[3] ?? 500);
const ttl = process.argv[4] === 'ttl';
const load = (file) => import(pathToFileURL(join(dist, file)).href);
const { createSqliteHistoryStore } = await load('index.js');
const { createTaskHandler } = await load('threads/task-handler.js');
const { WalFrames } = await load('threads/wal-frames.js');

const dir = mkdtempSync(join(tmpdir(), 'history-frames-'));
const filename = join(dir, 'frames.db');
try {
  // Creates and migrates the file.
  await (await createSqliteHistoryStore({ filename, worker: false })).close();
  const handle = createTaskHandler({
    filename,
    durability: 'normal',
    busyTimeoutMs: 5000,
    role: 'main',
  });
  handle({ kind: 'open' });
  const wal = new WalFrames(filename);
  let n = 0;
  const round = () => {
    const count = 16;
    const task = {
      kind: 'writeBatch',
      sessionIds: Array.from({ length: count }, (_, s) => `session-${s}`),
      ids: Array.from({ length: count }, () => `id-${n++}`),
      occurredAtMs: new Float64Array(count).fill(Date.now()),
      expiresAtMs: new Float64Array(count).fill(ttl ? Date.now() + 86_400_000 : Number.NaN),
      jsons: Array.from({ length: count }, () => JSON.stringify({ n, pad: 'x'.repeat(600) })),
    };
    const result = handle(task);
    if (result?.failed) throw new Error(result.message);
  };
  // Warm-up: 3,000 events, so the sessions' pages exist and blocks have been sealed.
  for (let i = 0; i < 3000 / 16; i++) round();
  const before = wal.read();
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) round();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const frames = wal.read() - before;
  console.log(
    `${dist}${ttl ? ' (ttl)' : ''}: ${(frames / rounds).toFixed(1)} WAL frames per 16-session commit, ` +
      `${(ms / rounds).toFixed(3)} ms per commit (${rounds} rounds)`,
  );
  wal.close();
  handle({ kind: 'close' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
