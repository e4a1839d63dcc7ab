// A feed follower in a process of its own, for the follow scenario's cross-process figure:
// `node --import tsx follower-child.ts <adapter> <context JSON>`. It opens the adapter's store
// on the same storage, skips what is stored, prints `ready`, then prints one line per event
// delivered (`<id> <latency ms>`) until its stdin ends.
import { ADAPTERS } from '../adapters/index.js';
import type { BenchContext } from '../subject.js';
import { wallClockMs } from './wall-clock.js';

const [adapter, context] = process.argv.slice(2);
const runner = ADAPTERS[adapter ?? ''];
if (!runner || !context) throw new Error('usage: follower-child.ts <adapter> <context JSON>');
const ctx = JSON.parse(context) as BenchContext;
const store = await runner.openStore({ ...ctx, borrowed: true });
const controller = new AbortController();
process.stdin.on('end', () => controller.abort());
process.stdin.resume();

let after: string | undefined;
for await (const entry of store.feed()) after = entry.position;
process.stdout.write('ready\n');
for await (const { record } of store.feed({
  follow: true,
  signal: controller.signal,
  ...(after === undefined ? {} : { after }),
})) {
  const { sentAtMs } = record.envelope.payload as { sentAtMs: number };
  process.stdout.write(`${record.id} ${wallClockMs() - sentAtMs}\n`);
}
await store.close();
