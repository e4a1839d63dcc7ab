import { EXIT } from './exit-codes.js';

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Restores the default handling. */
  dispose(): void;
}

/**
 * Turns the first SIGINT (Ctrl-C) or SIGTERM into an abort the command handles (stop reading,
 * let the write in flight commit, close the stores); a second one exits at once, with 130.
 * `notice`, when given, is printed on stderr at the first one.
 */
export function catchInterrupt(notice?: string): Interrupt {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) {
      process.exit(EXIT.interrupted);
    }
    if (notice !== undefined) process.stderr.write(`${notice}\n`);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
