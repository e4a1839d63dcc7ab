// The scenarios of compare-builds.mjs and compare-pool-modes.mjs: two stores, `other` and
// `this`, each scenario alternating between them so both see the same background load; medians
// of `rounds` rounds, printed as a table (speed-up: other's time over this one's).
// - bulk: appendMany of 1,000 envelopes interleaved over 50 sessions; appendMany of 100
//   envelopes of one session;
// - hot path: a round of 16 (then 256) single appends, one per session, awaited together;
// - replay: a whole 20-event and 100-event session.
import { envelopes, median } from './pg-target.mjs';

export async function compareStores(stores, { rounds: ROUNDS, title }) {
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
  console.log(`${title}; medians of ${ROUNDS} alternating rounds, ms`);
  console.log('scenario | other | this | speed-up');
  for (const key of Object.keys(times).filter((k) => k.startsWith('this '))) {
    const scenario = key.slice('this '.length);
    const [other, mine] = [median(times[`other ${scenario}`]), median(times[key])];
    console.log(
      `${scenario} | ${other.toFixed(2)} | ${mine.toFixed(2)} | ${(other / mine).toFixed(2)}`,
    );
  }
}
