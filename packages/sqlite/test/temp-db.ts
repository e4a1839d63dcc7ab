import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory with a database path in it; `cleanup` removes both. */
export function tempDb(name = 'history.db'): { dir: string; filename: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'history-sqlite-test-'));
  return {
    dir,
    filename: join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
