import { summarise, timed } from '../measure.js';
import { Random } from '../random.js';
import type { CheckpointResult } from '../results.js';
import type { BenchStore } from '../subject.js';

/** Untimed reads first, on both sides: JIT, and a pool's connections each preparing its statement once. */
const WARM_UP_READS = 100;

/** Scenario 4: `getCheckpoint` latency over many sessions, each with a checkpoint of a few hundred bytes. */
export async function runCheckpoint(
  store: BenchStore,
  sessions: number,
  reads: number,
  seed: number,
): Promise<CheckpointResult> {
  const random = new Random(seed);
  for (let i = 0; i < sessions; i++) {
    await store.checkpoint(
      `cp-${i}`,
      {
        summary: 'x'.repeat(200 + random.int(0, 200)),
        cursor: { turn: i, tools: ['bash', 'grep'] },
      },
      { seq: i + 1 },
    );
  }
  for (let i = 0; i < WARM_UP_READS; i++) await store.getCheckpoint(`cp-${i % sessions}`);
  const samples: number[] = [];
  for (let i = 0; i < reads; i++) {
    const n = random.int(0, sessions - 1);
    samples.push(
      await timed(async () => {
        const cp = await store.getCheckpoint(`cp-${n}`);
        if (cp?.seq !== n + 1) throw new Error(`getCheckpoint(cp-${n}) returned seq ${cp?.seq}`);
      }),
    );
  }
  return { sessions, getCheckpoint: summarise(samples) };
}
