// This build against another one (OTHER_MODULE: that build's dist/index.js, e.g. the previous
// commit built in a scratch checkout), each scenario alternating between the two stores so
// both see the same background load; medians of ROUNDS rounds:
// - bulk: appendMany of 1,000 envelopes interleaved over 50 sessions; appendMany of 100
//   envelopes of one session;
// - hot path: a round of 16 (then 256) single appends, one per session, awaited together;
// - replay: a whole 20-event and 100-event session.
// Usage: pnpm build && OTHER_MODULE=/path/to/dist/index.js node scripts/compare-builds.mjs
//   (HISTORY_PG_URL, ROUNDS=30)
import { envelopes, median, pgTarget } from './pg-target.mjs';

if (!process.env.OTHER_MODULE) throw new Error('set OTHER_MODULE to the other build');
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const target = await pgTarget();
const stores = {};
for (const [name, module] of [
  ['other', process.env.OTHER_MODULE],
  ['this', '../dist/index.js'],
]) {
  const { createPostgresHistoryStore } = await import(module);
  stores[name] = await createPostgresHistoryStore({
    connectionString: target.url,
    schema: target.schema(`cmp_${name}`),
  });
}
const one = (session, n) => envelopes(1, { session, start: n, payloadBytes: 500 })[0];
const times = {};
const timed = async (key, work, divide = 1) => {
  const started = performance.now();
  await work();
  times[key] ??= [];
  times[key].push((performance.now() - started) / divide);
};
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 ? ['other', 'this'] : ['this', 'other']) {
    const store = stores[name];
    const interleaved = Array.from({ length: 1000 }, (_, i) => one(`b${r}-${i % 50}`, i));
    await timed(`${name} appendMany 1000 x 50 sessions`, () => store.appendMany(interleaved));
    await timed(`${name} appendMany 100 x 1 session`, () =>
      store.appendMany(envelopes(100, { session: `one${r}`, payloadBytes: 500 })),
    );
    for (const P of [16, 256]) {
      const rounds = P === 16 ? 10 : 3;
      await timed(
        `${name} round of ${P} appends`,
        async () => {
          for (let k = 0; k < rounds; k++) {
            await Promise.all(
              Array.from({ length: P }, (_, p) => store.append(one(`h${P}-${p}`, r * 10 + k))),
            );
          }
        },
        rounds,
      );
    }
    for (const [session, n] of [
      [`b${r}-0`, 20],
      [`one${r}`, 100],
    ]) {
      await timed(`${name} replay ${n}`, async () => {
        let count = 0;
        for await (const _ of store.stream(session)) count++;
        if (count !== n) throw new Error(`${name} replayed ${count} of ${n}`);
      });
    }
  }
}
console.log(`target: ${target.name}; medians of ${ROUNDS} alternating rounds, ms`);
console.log('scenario | other build | this build | speed-up');
for (const key of Object.keys(times).filter((k) => k.startsWith('this '))) {
  const scenario = key.slice('this '.length);
  const [other, mine] = [median(times[`other ${scenario}`]), median(times[key])];
  console.log(
    `${scenario} | ${other.toFixed(2)} | ${mine.toFixed(2)} | ${(other / mine).toFixed(2)}`,
  );
}
for (const store of Object.values(stores)) await store.close();
await target.close();
