#!/usr/bin/env node
// Measures `history copy` between every pair of backends (after `pnpm --filter @history/cli build`):
//   node packages/cli/scripts/measure-copy.mjs [events=100000] [sessions=100] [--pairs=file-sqlite,...]
//     [--copy-args="--concurrency 8"]
// The source is made with `history import` (its rate is reported too); each copy is a fresh
// target. PostgreSQL: HISTORY_PG_URL when set, else an embedded PostgreSQL 17; a fresh schema
// per target, dropped at the end. Prints one line per pair: the command's own events/s (from
// its --json summary, stores open) and the wall time of the whole process.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@history/test-services';
import pg from 'pg';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const events = Number(args[0] ?? 100_000);
const sessions = Number(args[1] ?? 100);
const pairsArg = process.argv.find((a) => a.startsWith('--pairs='))?.slice(8);
// Extra options for every measured copy, e.g. --copy-args="--concurrency 8 --chunk-size 5000".
const copyArgs = (process.argv.find((a) => a.startsWith('--copy-args='))?.slice(12) ?? '')
  .split(' ')
  .filter(Boolean);
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'history-copy-measure-'));

const embedded = process.env.HISTORY_PG_URL ? undefined : await startEmbeddedPostgres();
const pgUrl = process.env.HISTORY_PG_URL ?? embedded.url;
const schemas = [];
let n = 0;
const store = {
  file: () => `file:${join(dir, `f${n++}`)}`,
  sqlite: () => `sqlite:${join(dir, `s${n++}.db`)}`,
  postgres: () => {
    const schema = `copy_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    return `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  },
};

function history(...argv) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...argv, '--json', '--no-progress'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`history ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { summary: JSON.parse(r.stdout.trim().split('\n').at(-1)), wall };
}

// Agent-like events of about 600 bytes of JSON, round robin over the sessions.
const words = 'the agent tool call result file line error test build run read write session'.split(
  ' ',
);
const lines = [];
for (let i = 0; i < events; i++) {
  const s = i % sessions;
  const k = Math.floor(i / sessions);
  const text = Array.from(
    { length: 40 + (i % 50) },
    (_, w) => words[(i * 7 + w) % words.length],
  ).join(' ');
  lines.push(
    JSON.stringify({
      id: `s${s}:${k}`,
      type: i % 4 === 0 ? 'user.message' : 'assistant.message',
      sessionId: `session-${String(s).padStart(4, '0')}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      source: 'agent',
      traceId: `t-${Math.floor(k / 8)}`,
      payload: { role: i % 4 === 0 ? 'user' : 'assistant', text, tokens: i % 400 },
    }),
  );
}
const input = join(dir, 'events.jsonl');
writeFileSync(input, `${lines.join('\n')}\n`);

const sources = { file: store.file(), sqlite: store.sqlite(), postgres: store.postgres() };
const results = [];
try {
  console.log(
    `${events.toLocaleString('en-US')} events over ${sessions} sessions (~${Math.round(lines.reduce((a, l) => a + l.length, 0) / events)} B each), load average ${loadavg()[0].toFixed(2)}`,
  );
  const imported = history('import', input, '--store', sources.file);
  console.log(
    `import into file: ${Math.round(events / imported.summary.seconds).toLocaleString('en-US')} ev/s`,
  );
  // The other sources, copied from the file one.
  history('copy', sources.file, sources.sqlite);
  history('copy', sources.file, sources.postgres);
  const pairs = (
    pairsArg ??
    'file-sqlite,sqlite-postgres,postgres-file,sqlite-file,postgres-sqlite,file-postgres'
  )
    .split(',')
    .map((p) => p.split('-'));
  for (const [from, to] of pairs) {
    const target = store[to]();
    const { summary, wall } = history('copy', sources[from], target, ...copyArgs);
    if (summary.copied !== events) throw new Error(`${from} -> ${to}: copied ${summary.copied}`);
    const line = `${from} -> ${to}: ${summary.eventsPerSecond.toLocaleString('en-US')} ev/s (${summary.seconds.toFixed(2)} s; process ${wall.toFixed(2)} s), load average ${loadavg()[0].toFixed(2)}`;
    results.push(line);
    console.log(line);
  }
} finally {
  if (schemas.length > 0) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  }
  await embedded?.stop();
  rmSync(dir, { recursive: true, force: true });
}
