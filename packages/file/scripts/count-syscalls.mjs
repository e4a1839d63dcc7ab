// Checks the syscall shape of one batch with strace (Linux, needs strace):
// one pwrite64 per touched session file and, under durability 'fsync', one
// fdatasync per touched session file.
// Usage: pnpm --filter @history/file build && node packages/file/scripts/count-syscalls.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SESSIONS = 3;
const PER_SESSION = 100;

if (process.argv[2] === 'child') {
  const { createFileHistoryStore } = await import('../dist/index.js');
  const store = await createFileHistoryStore({ root: process.argv[3], durability: 'fsync' });
  const envelope = (s, i) => ({
    id: `e${i}`,
    type: 't',
    sessionId: `s${s}`,
    occurredAt: '2025-01-01T00:00:00Z',
    payload: { i },
  });
  // Warm-up: the first touch creates and scans each file; then the batch under test.
  for (let s = 0; s < SESSIONS; s++) await store.append(envelope(s, 0));
  process.stdout.write('batch\n');
  const batch = [];
  for (let i = 1; i <= PER_SESSION; i++)
    for (let s = 0; s < SESSIONS; s++) batch.push(envelope(s, i));
  await store.appendMany(batch);
  await store.close();
} else {
  const root = mkdtempSync(join(tmpdir(), 'history-file-strace-'));
  const trace = join(root, 'trace.txt');
  try {
    const run = spawnSync(
      'strace',
      [
        '-f',
        '-y',
        '-e',
        'trace=write,pwrite64,writev,pwritev,fdatasync,fsync',
        '-o',
        trace,
        process.execPath,
        fileURLToPath(import.meta.url),
        'child',
        join(root, 'store'),
      ],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`strace failed: ${run.error ?? run.stderr}`);
    const lines = readFileSync(trace, 'utf8').split('\n');
    const onData = (call) => lines.filter((l) => l.includes(`${call}(`) && l.includes('.jsonl>'));
    // The warm-up wrote each session once; the batch adds one write (and one fdatasync) per session.
    const writes = onData('write').length + onData('pwrite64').length + onData('pwritev').length;
    const syncs = onData('fdatasync').length;
    console.log(
      JSON.stringify({ sessions: SESSIONS, perSession: PER_SESSION, writes, fdatasyncs: syncs }),
    );
    if (writes !== 2 * SESSIONS || syncs !== 2 * SESSIONS) {
      throw new Error(
        `expected ${2 * SESSIONS} writes and fdatasyncs on session files (warm-up + batch)`,
      );
    }
    console.log('one write and one fdatasync per touched session file per batch: ok');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
