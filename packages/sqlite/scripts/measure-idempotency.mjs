// Measures the cost of the idempotency check with random UUIDv4 ids, for the
// schema designs we considered. Run after `pnpm build`:
//   node scripts/measure-idempotency.mjs [preloadRows=300000] [measuredRows=100000]
// Each design: preload rows, then time inserting more in batches of 1000
// (one transaction per batch, each record checked for an existing id first),
// spread over 100 sessions, WAL + synchronous=NORMAL as the store runs.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idHash } from '../dist/id-hash.js';

const preload = Number(process.argv[2] ?? 300_000);
const measured = Number(process.argv[3] ?? 100_000);
const SESSIONS = 100;
const json = JSON.stringify({ type: 'message', payload: { text: 'x'.repeat(200) } });

const designs = {
  'text session + UNIQUE(session_id, id)': {
    schema: `CREATE TABLE events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,
               PRIMARY KEY (session_id, seq), UNIQUE (session_id, id));`,
    prepare: (db) => {
      const find = db.prepare('SELECT seq FROM events WHERE session_id = ? AND id = ?');
      const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
      return (s, seq, id) =>
        find.get(`session-${s}`, id) ?? insert.run(`session-${s}`, seq, id, json);
    },
  },
  'int sid + UNIQUE(sid, id)': {
    schema: `CREATE TABLE events (sid INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,
               PRIMARY KEY (sid, seq), UNIQUE (sid, id));`,
    prepare: (db) => {
      const find = db.prepare('SELECT seq FROM events WHERE sid = ? AND id = ?');
      const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
      return (s, seq, id) => find.get(s, id) ?? insert.run(s, seq, id, json);
    },
  },
  'int sid + WITHOUT ROWID ids(sid, id) side table': {
    schema: `CREATE TABLE events (sid INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,
               PRIMARY KEY (sid, seq));
             CREATE TABLE ids (sid INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sid, id)) WITHOUT ROWID;`,
    prepare: (db) => {
      const find = db.prepare('SELECT seq FROM ids WHERE sid = ? AND id = ?');
      const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
      const insertId = db.prepare('INSERT INTO ids VALUES (?, ?, ?)');
      return (s, seq, id) => {
        if (find.get(s, id)) return;
        insertId.run(s, id, seq);
        insert.run(s, seq, id, json);
      };
    },
  },
  'int sid + (sid, id_hash) index (until migration 0003)': {
    schema: `CREATE TABLE events (sid INTEGER NOT NULL, seq INTEGER NOT NULL, id_hash INTEGER NOT NULL, id TEXT NOT NULL,
               json TEXT NOT NULL, PRIMARY KEY (sid, seq));
             CREATE INDEX events_by_id_hash ON events (sid, id_hash);`,
    prepare: (db) => {
      const find = db.prepare('SELECT seq FROM events WHERE sid = ? AND id_hash = ? AND id = ?');
      const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
      return (s, seq, id) => {
        const h = idHash(id);
        return find.get(s, h, id) ?? insert.run(s, seq, h, id, json);
      };
    },
  },
  'int sid + (sid, seq, id_hash) index + sealed event_ids (chosen)': {
    schema: `CREATE TABLE events (sid INTEGER NOT NULL, seq INTEGER NOT NULL, id_hash INTEGER NOT NULL, id TEXT NOT NULL,
               json TEXT NOT NULL);
             CREATE INDEX events_by_seq ON events (sid, seq, id_hash);
             CREATE TABLE event_ids (sid INTEGER NOT NULL, id_hash INTEGER NOT NULL, seq INTEGER NOT NULL,
               PRIMARY KEY (sid, id_hash, seq)) WITHOUT ROWID;`,
    prepare: (db) => {
      // As the store's writer: the unsealed tail's hashes in memory, sealed seqs in event_ids.
      const findSealed = db.prepare(
        'SELECT e.seq FROM event_ids x CROSS JOIN events e ON e.sid = x.sid AND e.seq = x.seq WHERE x.sid = ? AND x.id_hash = ? AND e.id = ?',
      );
      const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
      const seal = db.prepare(
        'INSERT INTO event_ids SELECT sid, id_hash, seq FROM events WHERE sid = ? AND seq > ? AND seq <= ?',
      );
      const tails = new Map();
      return (s, seq, id) => {
        const h = idHash(id);
        const tail = tails.get(s) ?? [];
        tails.set(s, tail);
        if (tail.includes(h) || (seq > 128 && findSealed.get(s, h, id))) return;
        insert.run(s, seq, h, id, json);
        if (seq % 128 === 0) {
          seal.run(s, seq - 128, seq);
          tail.length = 0;
        } else tail.push(h);
      };
    },
  },
};

function fill(db, write, from, count) {
  const batch = db.transaction((start, n) => {
    for (let i = start; i < start + n; i++)
      write(i % SESSIONS, Math.floor(i / SESSIONS) + 1, randomUUID());
  });
  for (let i = from; i < from + count; i += 1000) batch(i, Math.min(1000, from + count - i));
}

console.log(
  `preload ${preload} rows, then measure ${measured} more (batches of 1000, ${SESSIONS} sessions)\n`,
);
for (const [name, design] of Object.entries(designs)) {
  const dir = mkdtempSync(join(tmpdir(), 'history-idem-'));
  const file = join(dir, 'x.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(design.schema);
  const write = design.prepare(db);
  fill(db, write, 0, preload);
  const started = performance.now();
  fill(db, write, preload, measured);
  const ms = performance.now() - started;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const mib = statSync(file).size / 2 ** 20;
  console.log(
    `${name.padEnd(66)} ${Math.round((measured / ms) * 1000)
      .toString()
      .padStart(8)} ev/s   file ${mib.toFixed(0)} MiB`,
  );
  rmSync(dir, { recursive: true, force: true });
}
