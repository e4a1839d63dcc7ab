import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish, ok, startHistory, waitForOutput } from './cli.js';
import { agentEvents, exportedLines, jsonl, withoutCommitTimes } from './events.js';
import { pgStore } from './pg-schema.js';
import { tempDir } from './temp-dir.js';

// A copy or an import stopped mid-way (Ctrl-C, or killed outright) leaves both stores
// consistent, and running the same command again completes it with no duplicate.
const SESSIONS = 60;
const PER_SESSION = 1000;
const TOTAL = SESSIONS * PER_SESSION;
const dir = tempDir();
const schemas: ReturnType<typeof pgStore>[] = [];
const input = join(dir.path, 'events.jsonl');
const file = `file:${join(dir.path, 'source')}`;
const sqlite = `sqlite:${join(dir.path, 'source.db')}`;
let sourceExport: string[];

beforeAll(async () => {
  writeFileSync(input, jsonl(agentEvents(SESSIONS, PER_SESSION)));
  await ok(['import', input, '--store', file, '--no-progress']);
  await ok(['copy', file, sqlite, '--no-progress']);
  sourceExport = withoutCommitTimes(await ok(['export', '--store', file, '--no-progress']));
});
afterAll(async () => {
  dir.remove();
  for (const s of schemas) await s.drop();
});

/** Starts `args`, and once it reports some events done (a progress line), sends `signal`. */
async function interrupt(args: string[], label: string, signal: NodeJS.Signals) {
  const child = startHistory([...args, '--progress-interval', '0.05']);
  await waitForOutput(child, 'stderr', new RegExp(`${label}: [1-9][\\d,]* events`));
  child.kill(signal);
  return finish(child);
}

/** Each session of the export holds the source's first events, seqs 1..k without a gap. */
function expectPrefixOfSource(exported: string) {
  const lines = withoutCommitTimes(exported);
  const source = new Set(sourceExport);
  for (const line of lines) expect(source.has(line)).toBe(true);
  const seqs = new Map<string, number>();
  for (const { sessionId, seq } of exportedLines(exported)) {
    expect(seq).toBe((seqs.get(sessionId) ?? 0) + 1);
    seqs.set(sessionId, seq);
  }
  return lines.length;
}

describe.each([
  ['file', 'sqlite'],
  ['sqlite', 'postgres'],
] as const)('copy %s -> %s', (from, to) => {
  it.each(['SIGINT', 'SIGKILL'] as const)(
    'stopped by %s mid-way, then run again',
    async (signal) => {
      const source = from === 'file' ? file : sqlite;
      let target: string;
      if (to === 'postgres') {
        const s = pgStore();
        schemas.push(s);
        target = s.url;
      } else {
        target = `sqlite:${join(dir.path, `target-${signal}.db`)}`;
      }
      const args = ['copy', source, target, '--chunk-size', '500', '--concurrency', '2'];
      const stopped = await interrupt(args, 'copy', signal);
      if (signal === 'SIGINT') {
        expect(stopped.code).toBe(130);
        expect(stopped.stderr).toMatch(
          /history: copy: interrupted after [\d,]+ events; both stores are consistent: run the same command again to copy the rest\n$/,
        );
      } else {
        expect(stopped.signal).toBe('SIGKILL');
      }
      // Part of it is there, each session a gapless prefix of the source's. (A writable open
      // first: after a kill, it is what settles the file store's last batch.)
      await ok(['migrate', '--store', target]);
      const partial = expectPrefixOfSource(
        await ok(['export', '--store', target, '--no-progress']),
      );
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(TOTAL);

      const rerun = JSON.parse(await ok([...args, '--json', '--no-progress']));
      expect(rerun).toMatchObject({ copied: TOTAL - partial, refused: [], interrupted: false });
      const complete = await ok(['export', '--store', target, '--no-progress']);
      expect(withoutCommitTimes(complete)).toEqual(sourceExport);
      expect(JSON.parse(await ok(['stats', '--store', target, '--json']))).toMatchObject({
        sessions: SESSIONS,
        events: TOTAL,
      });
    },
  );
});

describe('import', () => {
  it.each(['SIGINT', 'SIGKILL'] as const)(
    'stopped by %s mid-way, then run again',
    async (signal) => {
      const target = `file:${join(dir.path, `import-${signal}`)}`;
      const args = ['import', input, '--store', target, '--batch-size', '500'];
      const stopped = await interrupt(args, 'import', signal);
      if (signal === 'SIGINT') {
        expect(stopped.code).toBe(130);
        expect(stopped.stderr).toMatch(
          /history: import: interrupted after [\d,]+ new events .*run it again to import the rest\n$/,
        );
      } else {
        expect(stopped.signal).toBe('SIGKILL');
      }
      await ok(['migrate', '--store', target]);
      const partial = expectPrefixOfSource(
        await ok(['export', '--store', target, '--no-progress']),
      );
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(TOTAL);

      const rerun = JSON.parse(await ok([...args, '--json', '--no-progress']));
      expect(rerun).toMatchObject({
        imported: TOTAL - partial,
        duplicates: partial,
        renumbered: 0,
      });
      expect(withoutCommitTimes(await ok(['export', '--store', target, '--no-progress']))).toEqual(
        sourceExport,
      );
    },
  );
});
