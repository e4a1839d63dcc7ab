// Ingest rate as the database grows, per page size and WAL checkpoint
// interval: the store's schema and write path (idempotency lookup + insert,
// batches of 1,000, 50 sessions, random UUIDv4 ids), reported per
// 250,000-row segment. Run after `pnpm build`:
//   node scripts/measure-scale.mjs [rows=1000000] [variants...]
// variant = pageSize or pageSize:walAutocheckpointPages, e.g. 4096 16384 4096:32768 16384:8192
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idHash } from '../dist/id-hash.js';
import { loadMigrations } from '../dist/migrate.js';

const N = Number(process.argv[2] ?? 1_000_000);
const variants = process.argv.slice(3).length
  ? process.argv.slice(3)
  : ['4096', '16384', '4096:32768', '16384:8192'];
const SESSIONS = 50;
const SEGMENT = 250_000;
const json = JSON.stringify({ text: 'lorem ipsum dolor sit amet '.repeat(20), n: 12345 });

for (const variant of variants) {
  const [pageSize, walPages] = variant.split(':');
  const dir = mkdtempSync(join(tmpdir(), 'history-scale-'));
  const db = new Database(join(dir, 'x.db'));
  db.pragma(`page_size = ${pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('mmap_size = 1073741824');
  if (walPages) db.pragma(`wal_autocheckpoint = ${walPages}`);
  db.exec(loadMigrations()[0].sql);
  const addSession = db.prepare('INSERT INTO sessions (name) VALUES (?)');
  for (let s = 1; s <= SESSIONS; s++) addSession.run(`s${s}`);
  const find = db.prepare(
    'SELECT seq FROM events INDEXED BY events_by_id_hash WHERE sid = ? AND id_hash = ? AND id = ?',
  );
  const insert = db.prepare(
    'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const seqs = new Array(SESSIONS + 1).fill(0);
  const rates = [];
  let started = performance.now();
  for (let b = 0; b < N; b += 1000) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = b; i < b + 1000; i++) {
      const s = (i % SESSIONS) + 1;
      const id = crypto.randomUUID();
      const h = idHash(id);
      if (!find.get(s, h, id)) insert.run(s, ++seqs[s], h, id, 1_767_225_600_000 + i, 0, json);
    }
    db.exec('COMMIT');
    if ((b + 1000) % SEGMENT === 0) {
      rates.push(Math.round((SEGMENT / (performance.now() - started)) * 1000));
      started = performance.now();
    }
  }
  console.log(`${variant.padEnd(11)} ev/s per ${SEGMENT}-row segment: ${rates.join(', ')}`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
