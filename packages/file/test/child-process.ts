import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A node child running one of the fixture scripts (which import the built `dist`). */
export interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Stdout lines so far. */
  lines: string[];
  /** Resolves when a stdout line satisfies `match`. */
  waitFor(match: (line: string) => boolean): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runFixture(script: string, args: string[]): Child {
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url));
  const proc = spawn(process.execPath, [path, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const watchers: Array<{ match(line: string): boolean; resolve(line: string): void }> = [];
  let partial = '';
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  proc.stdout.on('data', (data: Buffer) => {
    const parts = (partial + data.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (let i = watchers.length - 1; i >= 0; i--) {
        if (watchers[i]!.match(line)) watchers.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    lines,
    exited,
    waitFor(match) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        watchers.push({ match, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `${script} exited (${code ?? signal}) before the expected line; stderr: ${stderr}`,
            ),
          ),
        );
      });
    },
  };
}
