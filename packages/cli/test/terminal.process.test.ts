import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, ok } from './cli.js';
import { agentEvents, jsonl } from './events.js';
import { tempDir } from './temp-dir.js';

// On a terminal: a progress bar with rate and ETA, tables, lines cut to the width. The command
// runs under `script` (util-linux), which gives it a pseudo-terminal 60 columns wide.
const dir = tempDir();
afterAll(() => dir.remove());
const store = `sqlite:${join(dir.path, 'h.db')}`;
beforeAll(async () => {
  await ok(['import', '-', '--store', store], { input: jsonl(agentEvents(3, 2000)) });
});

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** What the command shows on a 60-column terminal, escape sequences and all. */
async function onTerminal(args: string[]): Promise<string> {
  const command = `stty cols 60; ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, HISTORY_STORE: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

it('copy shows a progress bar with the rate and an ETA, then the summary', async () => {
  const screen = await onTerminal(['copy', store, `file:${join(dir.path, 'copy')}`]);
  expect(screen).toMatch(/copy [░█]+ 0% \| 0\/6,000 events \| \d+ ev\/s \| ETA/);
  expect(screen).toMatch(/copy █+ 100% \| 6,000\/6,000 events \| [\d,]+ ev\/s \| ETA 0s/);
  expect(screen).toMatch(/copied 6,000 events of 3 sessions \(0 already complete\)/);
});

it('sessions is a table; cat cuts each line to the terminal width', async () => {
  const table = await onTerminal(['sessions', '--store', store]);
  expect(table.split('\r\n').slice(0, 2)).toEqual([
    'SESSION       EVENTS  LAST SEQ  CREATED                   UPDATED',
    expect.stringMatching(/^session-0000 {3}2,000 {6}2000 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}\d{4}-/),
  ]);
  const lines = (await onTerminal(['cat', 'session-0001', '--store', store, '--limit', '3'])).split(
    '\r\n',
  );
  expect(lines.slice(0, 3).map((l) => l.length)).toEqual([60, 60, 60]);
  expect(lines[0]).toMatch(/^ {3}1 {2}2026-01-01T00:00:00\.000Z {2}assistant\.message {2}\{.*…$/);
});
