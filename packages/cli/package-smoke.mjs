// Packaging check: runs in an empty project where @history/cli is installed from its packed
// tarball with one adapter, @history/file (tooling/pack-check.mjs), as a user installs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl } from '@history/cli';

function check(condition, message) {
  if (!condition) throw new Error(`package smoke failed: ${message}`);
}

// The `history` bin npm linked, run as a shell would.
const bin = join(process.cwd(), 'node_modules', '.bin', 'history');
function history(args, input) {
  return spawnSync(bin, args, { input: input ?? '', encoding: 'utf8' });
}

const dir = mkdtempSync(join(tmpdir(), 'history-cli-smoke-'));
try {
  const store = `file:${join(dir, 'store')}`;
  check(parseStoreUrl(store).kind === 'file', 'parseStoreUrl');
  const lines = [1, 2, 3].map((n) =>
    JSON.stringify({
      id: `e${n}`,
      type: 'message',
      sessionId: 's1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      payload: { n },
    }),
  );
  const imported = history(['import', '-', '--store', store], `${lines.join('\n')}\n`);
  check(imported.status === 0, `import: ${imported.status} ${imported.stderr}`);

  const stats = history(['stats', '--store', store, '--json']);
  check(stats.status === 0, `stats: ${stats.status} ${stats.stderr}`);
  const figures = JSON.parse(stats.stdout);
  check(
    figures.sessions === 1 && figures.events === 3 && figures.bytes > 0,
    `stats ${stats.stdout}`,
  );
  const human = history(['stats', '--store', store]);
  check(/^sessions\s+1$/m.test(human.stdout), `stats table: ${human.stdout}`);

  // The adapters not installed are named, not crashed on.
  const missing = history(['stats', '--store', `sqlite:${join(dir, 'x.db')}`]);
  check(
    missing.status === 2 &&
      missing.stderr ===
        'history: sqlite: stores need the @history/sqlite package, which is not installed: npm install @history/sqlite\n',
    `missing adapter: ${missing.status} ${missing.stderr}`,
  );
  check(history(['--help']).stdout.includes('Usage: history'), 'help');
  console.log('@history/cli package smoke: ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
