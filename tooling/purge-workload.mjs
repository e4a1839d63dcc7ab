// The workload of the adapters' `scripts/measure-purge-latency.mjs`, as `pnpm bench --full`'s
// lifecycle scenario runs it: expired events loaded over many sessions (with live ones after
// them, half of those with a ttl a month away), then 4 producers appending single events (a
// new session every `sessionEvents`), 10 s idle, then while `purgeExpired()` runs.
// Plain JavaScript for plain-node scripts; each script adds its own instruments.

const DAY = 86_400_000;
const PRODUCERS = 4;
const WARM_UP_APPENDS = 800;
const IDLE_MS = 10_000;

const envelope = (sessionId, i, at, ttlMs) => ({
  id: `${sessionId}:${i}`,
  type: 'assistant.message',
  sessionId,
  occurredAt: new Date(at).toISOString(),
  payload: { role: 'assistant', text: 'x'.repeat(100), tokens: i % 200 },
  ...(ttlMs ? { ttlMs } : {}),
});

/** `expired` events long expired over `sessions` sessions, then 4 live ones in each. */
export async function loadExpired(store, expired, sessions) {
  let batch = [];
  const flush = async () => {
    if (batch.length > 0) await store.appendMany(batch);
    batch = [];
  };
  const now = Date.now();
  const perSession = Math.ceil(expired / sessions);
  for (let n = 0; n < sessions; n++) {
    for (let i = 0; i < perSession; i++) {
      batch.push(envelope(`expiring-${n}`, i, now - DAY + i, 60_000));
      if (batch.length >= 1000) await flush();
    }
  }
  for (let n = 0; n < sessions; n++) {
    for (let j = 0; j < 4; j++) {
      batch.push(envelope(`expiring-${n}`, perSession + j, now, j % 2 ? 30 * DAY : 0));
    }
  }
  await flush();
}

/**
 * Warms up, then appends idle for 10 s, then during `purgeExpired()`. `onPhase` hears 'idle',
 * 'purge', then undefined. Returns the purge's result, how long it took, and each phase's
 * appends as [start, ms].
 */
export async function measurePurge(store, { sessionEvents, onPhase }) {
  const next = new Array(PRODUCERS).fill(0);
  const appends = { idle: [], purge: [] };
  let phase;
  const produce = (more) =>
    Promise.all(
      next.map(async (_, p) => {
        do {
          const n = next[p]++;
          const started = performance.now();
          await store.append(
            envelope(`producer-${p}.${Math.floor(n / sessionEvents)}`, n, Date.now()),
          );
          if (phase) appends[phase].push([started, performance.now() - started]);
        } while (more());
      }),
    );
  let warm = 0;
  await produce(() => ++warm < WARM_UP_APPENDS);
  globalThis.gc?.();
  const idleUntil = performance.now() + IDLE_MS;
  phase = 'idle';
  onPhase(phase);
  await produce(() => performance.now() < idleUntil);
  globalThis.gc?.();
  phase = 'purge';
  onPhase(phase);
  let purging = true;
  const started = performance.now();
  const purge = store.purgeExpired().finally(() => {
    purging = false;
  });
  await Promise.all([purge, produce(() => purging)]);
  const seconds = (performance.now() - started) / 1000;
  phase = undefined;
  onPhase(phase);
  return { result: await purge, seconds, appends };
}

/** `values` (ms) as count, p50, p90, p99, p999 and max: the scripts' one summary line. */
export function quantiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (x) =>
    s.length ? s[Math.min(s.length - 1, Math.floor(x * s.length))].toFixed(2) : '-';
  return `n ${s.length}, p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, p999 ${q(0.999)}, max ${q(1)} ms`;
}
