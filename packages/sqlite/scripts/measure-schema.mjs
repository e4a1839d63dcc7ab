// Compares table layouts and page sizes for the events table: ingest rate
// (batches of 1,000 with the idempotency lookup, as the writer does) and the
// time to read one 1,000-row page of a session, with and without mmap.
// Run after `pnpm build`:
//   node scripts/measure-schema.mjs [rows=200000] [variants...]
// variants: rowid-4096 rowid-16384 worid-4096 worid-16384 (worid = WITHOUT ROWID);
// a `-nohash` or `-notime` suffix drops that index (and, for -nohash, the lookup)
// to show what each index costs, e.g. rowid-16384-nohash.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idHash } from '../dist/id-hash.js';

const N = Number(process.argv[2] ?? 200_000);
const SESSIONS = 50;
const variants = process.argv.slice(3).length
  ? process.argv.slice(3)
  : ['rowid-4096', 'rowid-16384', 'worid-4096', 'worid-16384'];
const rows = Array.from({ length: N }, (_, i) => ({
  id: crypto.randomUUID(),
  s: (i % SESSIONS) + 1,
  t: 1_767_225_600_000 + i,
  json: JSON.stringify({ text: 'lorem ipsum dolor sit amet '.repeat(20), n: i }),
}));
const schema = (withoutRowid) => `
  CREATE TABLE events (sid INTEGER NOT NULL, seq INTEGER NOT NULL, id_hash INTEGER NOT NULL, id TEXT NOT NULL,
    occurred_at_ms INTEGER NOT NULL, created_at_ms INTEGER NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (sid, seq))${withoutRowid ? ' WITHOUT ROWID' : ''};
  CREATE INDEX events_by_id_hash ON events (sid, id_hash);
  CREATE INDEX events_by_time ON events (sid, occurred_at_ms);`;

function pageReads(file, mmap) {
  const db = new Database(file, { readonly: true });
  if (mmap) db.pragma('mmap_size = 1073741824');
  const page = db.prepare(
    'SELECT seq, id, created_at_ms, json FROM events WHERE sid = ? AND seq > ? ORDER BY seq LIMIT 1000',
  );
  const ms = [];
  for (let k = 0; k < 400; k++) {
    const started = performance.now();
    page.all(1 + ((k * 7) % SESSIONS), (k * 131) % (N / SESSIONS - 1000));
    ms.push(performance.now() - started);
  }
  db.close();
  ms.sort((a, b) => a - b);
  return `p50 ${ms[200].toFixed(2)} p95 ${ms[380].toFixed(2)} ms`;
}

console.log(`${N} rows over ${SESSIONS} sessions, random UUIDv4 ids; every variant runs twice\n`);
for (const variant of [...variants, ...variants]) {
  const [kind, pageSize, drop] = variant.split('-');
  const dir = mkdtempSync(join(tmpdir(), 'history-schema-'));
  const file = join(dir, 'x.db');
  const db = new Database(file);
  db.pragma(`page_size = ${pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(schema(kind === 'worid'));
  if (drop === 'notime') db.exec('DROP INDEX events_by_time');
  if (drop === 'nohash') db.exec('DROP INDEX events_by_id_hash');
  const find =
    drop === 'nohash'
      ? { get: () => undefined }
      : db.prepare(
          'SELECT seq FROM events INDEXED BY events_by_id_hash WHERE sid = ? AND id_hash = ? AND id = ?',
        );
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
  const seqs = new Array(SESSIONS + 1).fill(0);
  const started = performance.now();
  for (let b = 0; b < N; b += 1000) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = b; i < Math.min(N, b + 1000); i++) {
      const r = rows[i];
      const h = idHash(r.id);
      if (!find.get(r.s, h, r.id)) insert.run(r.s, ++seqs[r.s], h, r.id, r.t, 0, r.json);
    }
    db.exec('COMMIT');
  }
  const rate = Math.round((N / (performance.now() - started)) * 1000);
  db.close();
  console.log(
    `${variant.padEnd(12)} ingest ${String(rate).padStart(6)} ev/s | page read: pread ${pageReads(file, false)}, mmap ${pageReads(file, true)}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
