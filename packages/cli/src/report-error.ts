import { HistoryError, InvalidArgumentError } from '@history/core';
import { CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/**
 * What an error becomes on stderr: one line (`history: <message>`) and an exit code; with
 * `verbose`, the stack and every cause after it.
 */
export function reportError(
  error: unknown,
  verbose: boolean,
): { text: string; exitCode: ExitCode } {
  const exitCode = exitCodeOf(error);
  const message = messageOf(error)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  let text = `history: ${message}\n`;
  if (verbose) {
    for (let e: unknown = error, depth = 0; e !== undefined && depth < 10; depth++) {
      const stack = (e as Error)?.stack;
      if (typeof stack === 'string') text += `${depth === 0 ? '' : 'caused by: '}${stack}\n`;
      e = (e as { cause?: unknown })?.cause;
    }
  }
  return { text, exitCode };
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (InvalidArgumentError.isInstance(error) || error instanceof CommanderError) return EXIT.usage;
  return EXIT.failure;
}

function messageOf(error: unknown): string {
  if (InvalidArgumentError.isInstance(error)) {
    // "Invalid argument: --limit: ..." reads better as "--limit: ...".
    return error.message.replace(/^Invalid argument: /, '');
  }
  if (HistoryError.isInstance(error) || error instanceof Error) return error.message;
  return String(error);
}
