import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ReadyChild {
  child: ChildProcessWithoutNullStreams;
  /** The child's exit, as `once(child, 'close')` gives it: `[code, signal]`. */
  exited: Promise<unknown[]>;
  /** Everything it printed on stdout so far. */
  output(): string;
}

/**
 * Starts `node script ...args` with stdin and stdout piped; resolves once it has printed a
 * line `ready`, rejects if it exits before. Process tests use it to start writers and
 * followers that must be running before the test goes on.
 */
export async function startReadyChild(
  script: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<ReadyChild> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  }) as unknown as ChildProcessWithoutNullStreams;
  let output = '';
  const exited = once(child, 'close');
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready\n')) resolve();
    });
    exited.then(
      ([code, signal]) => reject(new Error(`${script} exited (${code ?? signal}) before ready`)),
      reject,
    );
  });
  return { child, exited, output: () => output };
}
