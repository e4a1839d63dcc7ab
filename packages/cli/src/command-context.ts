import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** What a command's action gets besides its arguments. */
export interface CommandContext {
  /** Results: human text or JSON (`--json`). */
  stdout: Output;
  /** Progress, warnings and errors. */
  stderr: NodeJS.WriteStream;
  /** Set by a command that completes but must not exit 0 (problems found, sessions refused). */
  exitCode: ExitCode;
}
