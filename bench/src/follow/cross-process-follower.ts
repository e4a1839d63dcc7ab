import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../subject.js';

const CHILD = fileURLToPath(new URL('./follower-child.ts', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A feed follower in another process: each delivery's latency, by event id. */
export interface CrossProcessFollower {
  /** Resolves with the latency the child measured once it has delivered `id`. */
  delivered(id: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `follower-child.ts` on the adapter's storage; resolves once it follows. */
export async function startCrossProcessFollower(
  adapter: string,
  ctx: BenchContext,
): Promise<CrossProcessFollower> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, adapter, JSON.stringify(ctx)],
    { cwd: BENCH_DIR, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const latencies = new Map<string, number>();
  const waiting = new Map<string, (latency: number) => void>();
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') return ready();
    const [id, ms] = line.split(' ');
    const latency = Number(ms);
    const wake = waiting.get(id!);
    if (wake) {
      waiting.delete(id!);
      wake(latency);
    } else latencies.set(id!, latency);
  });
  const failed = exited.then((code) => {
    throw new Error(`the follower process exited (code ${code}) before it was stopped`);
  });
  await Promise.race([isReady, failed]);
  return {
    delivered(id) {
      const known = latencies.get(id);
      if (known !== undefined) {
        latencies.delete(id);
        return Promise.resolve(known);
      }
      return Promise.race([new Promise<number>((resolve) => waiting.set(id, resolve)), failed]);
    },
    async stop() {
      failed.catch(() => {});
      child.stdin!.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the follower process exited with code ${code}`);
    },
  };
}
