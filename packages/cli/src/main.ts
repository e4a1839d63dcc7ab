import { CommanderError } from 'commander';
import type { CommandContext } from './command-context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { Output } from './output.js';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

/**
 * Runs the `history` command with `argv` (as `process.argv`: node, script, arguments...) and
 * resolves with its exit code. Errors are written to stderr as one line (with the stack
 * under `--verbose`), never thrown.
 */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  const ctx: CommandContext = {
    stdout: new Output(process.stdout),
    stderr: process.stderr,
    exitCode: EXIT.ok,
  };
  const verbose = argv.includes('--verbose');
  const program = createProgram(ctx);
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`history: ${text.replace(/^error: /, '')}`),
    });
  }
  try {
    await program.parseAsync([...argv]);
    await ctx.stdout.flush();
    return ctx.exitCode;
  } catch (error) {
    await ctx.stdout.flush().catch(() => {});
    if (error instanceof CommanderError) {
      // Help and version are "errors" that exit 0; commander already printed the rest (help
      // on stderr and a usage error when no command was given).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { text, exitCode } = reportError(error, verbose);
    process.stderr.write(text);
    return exitCode;
  }
}
