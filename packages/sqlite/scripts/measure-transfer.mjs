// Cost of handing a 1,000-record batch to a worker thread and back, by shape:
// one object per record, columns (arrays of strings), or one joined string
// with lengths. Run: node scripts/measure-transfer.mjs
import { Worker } from 'node:worker_threads';

const N = 1000;
const jsons = Array.from({ length: N }, (_, i) =>
  JSON.stringify({ id: crypto.randomUUID(), text: 'lorem ipsum dolor sit amet '.repeat(20), n: i }),
);
const ids = jsons.map((_, i) => `id-${i}`);
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => {
     let n = 0;
     if (m.kind === 'objects') for (const r of m.records) n += r.json.length;
     else if (m.kind === 'columns') for (const j of m.jsons) n += j.length;
     else { let at = 0; for (const l of m.lengths) { n += m.json.slice(at, at + l).length; at += l; } }
     parentPort.postMessage(n);
   });`,
  { eval: true },
);
const roundTrip = (message) =>
  new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(message);
  });
const shapes = {
  objects: () => ({
    kind: 'objects',
    records: jsons.map((json, i) => ({
      id: ids[i],
      sessionId: 's',
      occurredAtMs: i,
      json,
      type: 'message',
    })),
  }),
  columns: () => ({
    kind: 'columns',
    ids: ids.slice(),
    occurredAtMs: new Float64Array(N),
    jsons: jsons.slice(),
  }),
  joined: () => ({
    kind: 'joined',
    ids: ids.slice(),
    json: jsons.join(''),
    lengths: new Uint32Array(jsons.map((j) => j.length)),
  }),
};
for (let round = 1; round <= 3; round++) {
  for (const [name, make] of Object.entries(shapes)) {
    const started = performance.now();
    for (let k = 0; k < 200; k++) await roundTrip(make());
    console.log(
      `round ${round} ${name.padEnd(8)} ${((performance.now() - started) / 200).toFixed(3)} ms per round trip`,
    );
  }
}
await worker.terminate();
