import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts `node script ...args` with stdout piped; resolves once it has printed `ready`, with
 * the child, its exit (as `once(child, 'exit')`) and everything it printed so far.
 */
export async function startReadyChild(
  script: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
) {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit');
  while (!output.includes('ready\n')) await new Promise((resolve) => setTimeout(resolve, 5));
  return { child, exited, output: () => output };
}
