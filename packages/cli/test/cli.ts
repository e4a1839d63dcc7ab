import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built binary the tests run, as a user's shell would. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
if (!existsSync(BIN)) {
  throw new Error(`${BIN} is missing: build first (pnpm --filter @history/cli build)`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Another script to run instead of the built binary (a copy of it elsewhere). */
  bin?: string;
}

/** Runs `node dist/bin.js ...args` to its end. */
export async function history(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const child = startHistory(args, options);
  child.stdin.end(options.input);
  return finish(child);
}

/** Everything each started child printed so far, per stream. */
const printed = new WeakMap<
  ChildProcessWithoutNullStreams,
  { stdout: string; stderr: string; closed: Promise<unknown[]> }
>();

/** Starts `node dist/bin.js ...args`, with pipes, for tests that watch it or signal it. */
export function startHistory(
  args: readonly string[],
  options: Omit<CliOptions, 'input'> = {},
): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // No HISTORY_STORE from the developer's shell.
    env: { ...process.env, HISTORY_STORE: undefined, ...options.env },
  });
  const output = { stdout: '', stderr: '', closed: once(child, 'close') };
  printed.set(child, output);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  return child;
}

/** Waits for a started child to exit; resolves with everything it printed. */
export async function finish(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  const output = printed.get(child)!;
  const [code, signal] = (await output.closed) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout: output.stdout, stderr: output.stderr };
}

/**
 * Resolves once the child has printed (since it started) something matching `pattern` on
 * `stream`; rejects if it exits first.
 */
export function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<string> {
  const output = printed.get(child)!;
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output[stream]);
      if (!match) return false;
      child[stream].off('data', onData);
      child.off('close', onClose);
      resolve(match[0]);
      return true;
    };
    // After the collector above: it has appended the chunk by the time this runs.
    const onData = () => check();
    const onClose = (code: number | null) =>
      reject(
        new Error(`exited (${code}) before printing ${pattern}; it printed: ${output[stream]}`),
      );
    if (check()) return;
    child[stream].on('data', onData);
    child.once('close', onClose);
  });
}

/** The stdout of a command that must succeed. */
export async function ok(args: readonly string[], options: CliOptions = {}): Promise<string> {
  const r = await history(args, options);
  if (r.code !== 0) {
    throw new Error(`history ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`);
  }
  return r.stdout;
}
