import type { Envelope } from '@history/core';
import { sessionEvents } from '../workload.js';

/** Template sessions generated once; every loaded session copies one of them. */
const POOL_SESSIONS = 100;
/** Template events per pool session: a session longer than this repeats its template. */
const POOL_EVENTS = 1_000;

/**
 * The scale run's events: the transcript workload (`workload.ts`: its mix of types and its
 * 20-50 KB tail), without generating ten million payloads. A pool of template sessions is
 * generated once; event `index` of session `n` is event `index` of template `n % 100` with
 * the session's own id and session id. Deterministic for a seed, and the same for both
 * layouts and at both checkpoints.
 */
export class ScaleEvents {
  private readonly pool: Envelope[][];

  constructor(seed: number, perSession: number) {
    const length = Math.min(perSession, POOL_EVENTS);
    this.pool = Array.from({ length: POOL_SESSIONS }, (_, k) =>
      sessionEvents(seed, `template-${k}`, length),
    );
  }

  /** Every template event: the sizes every loaded event has one of. */
  templates(): Envelope[] {
    return this.pool.flat();
  }

  /** The id of loaded session `n`. */
  sessionId(n: number): string {
    return `scale-${n}`;
  }

  /** Event `index` of loaded session `n`. */
  event(n: number, index: number): Envelope {
    const sessionId = this.sessionId(n);
    return this.copy(n, index, sessionId, `${sessionId}:${index.toString(36)}`);
  }

  /**
   * The `k`th single append of a checkpoint's probe, into `sessionId` (loaded or new): its
   * payload is template event `k`'s, so both checkpoints append the same sizes in the same
   * order, and its id names the probe, so the checkpoints' ids never collide.
   */
  probe(probe: string, k: number, sessionId: string): Envelope {
    return this.copy(k, Math.floor(k / POOL_SESSIONS), sessionId, `${sessionId}:${probe}-${k}`);
  }

  private copy(n: number, index: number, sessionId: string, id: string): Envelope {
    const template = this.pool[n % POOL_SESSIONS]!;
    return { ...template[index % template.length]!, id, sessionId };
  }
}
