import type { IntegrityProblem, IntegrityReport } from './integrity-report.js';
import { yieldIfDue } from './loop-budget.js';
import type { ResolvedVerifyOptions } from './verify-options.js';

/** Events between two `onProgress` calls. */
export const PROGRESS_EVERY = 10_000;

/**
 * What a verification gathers as it goes: problems (up to `maxProblems`; later ones are
 * dropped), the sessions and events checked, progress reports and the abort signal. Adapters
 * count each event with `countEvent` (synchronous, cheap) and call `pause` between units of
 * work (a page, a session), which lets the event loop turn and checks the signal.
 */
export class IntegrityCollector {
  readonly problems: IntegrityProblem[] = [];
  sessions = 0;
  events = 0;
  private nextProgress = PROGRESS_EVERY;

  constructor(private readonly options: ResolvedVerifyOptions) {}

  /** Whether `maxProblems` were collected (later problems are dropped). */
  get full(): boolean {
    return this.problems.length >= this.options.maxProblems;
  }

  /** How many more problems are collected. */
  get room(): number {
    return Math.max(0, this.options.maxProblems - this.problems.length);
  }

  add(problem: IntegrityProblem): void {
    if (!this.full) this.problems.push(problem);
  }

  /** One more event checked: reports progress every `PROGRESS_EVERY` events. */
  countEvent(): void {
    if (++this.events < this.nextProgress) return;
    this.nextProgress = this.events + PROGRESS_EVERY;
    this.throwIfAborted();
    this.options.onProgress?.(this.events);
  }

  /** Between units of work: throws the abort reason, lets the event loop turn when due. */
  async pause(): Promise<void> {
    this.throwIfAborted();
    const turn = yieldIfDue();
    if (turn) await turn;
    this.throwIfAborted();
  }

  throwIfAborted(): void {
    const { signal } = this.options;
    if (signal?.aborted) throw signal.reason;
  }

  /** Whether `error` is the abort signal's reason: passed on as it is, never wrapped. */
  isAbortReason(error: unknown): boolean {
    const { signal } = this.options;
    return signal?.aborted === true && error === signal.reason;
  }

  /** The report, after a last progress call with the total. */
  report(): IntegrityReport {
    this.throwIfAborted();
    this.options.onProgress?.(this.events);
    return { sessions: this.sessions, events: this.events, problems: this.problems };
  }
}
