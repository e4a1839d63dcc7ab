import { EXIT, type ExitCode } from './exit-codes.js';

/**
 * A failure the command reports as one line on stderr, with its exit code. Anything else
 * thrown is reported the same way (its message), with exit code 1.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
