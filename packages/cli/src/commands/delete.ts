import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, storeOf } from '../command-options.js';
import { EXIT } from '../exit-codes.js';
import { formatCount } from '../format-values.js';
import { withStore } from '../with-store.js';

interface DeleteOptions {
  store?: string;
  yes?: boolean;
  json?: boolean;
}

export function deleteCommand(ctx: CommandContext): Command {
  const command = new Command('delete')
    .description("erase a session's events and checkpoint for good")
    .argument('<session>', 'session id')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)');
  addStoreOption(command);
  addJsonOption(command, 'print { sessionId, deletedEvents } as JSON');
  command.addHelpText(
    'after',
    `
For erasure requests: once it returns, the store holds none of the session's events (each
adapter's README says how that reaches the disk). Appends after it start the session afresh,
with seqs after the deleted ones. Export it first if you need a copy.

Example:
  history export --store sqlite:./history.db --session chat-42 > chat-42.jsonl
  history delete chat-42 --store sqlite:./history.db --yes`,
  );
  return command.action(async (sessionId: string, options: DeleteOptions) => {
    const location = storeOf(options);
    if (!options.yes && !process.stdin.isTTY) {
      throw new CliError('delete: stdin is not a terminal to confirm on: add --yes', EXIT.usage);
    }
    const result = await withStore(
      location,
      { mode: 'existing', threads: false },
      async ({ store }) => {
        const session = await store.getSession(sessionId);
        if (session === null) {
          throw new CliError(`no session ${JSON.stringify(sessionId)} in ${location.display}`);
        }
        if (!options.yes) {
          const prompt = createInterface({ input: process.stdin, output: ctx.stderr });
          const answer = await prompt
            .question(
              `Delete session ${JSON.stringify(sessionId)} (${formatCount(session.eventCount)} events) from ${location.display}? [y/N] `,
            )
            .finally(() => prompt.close());
          if (!/^y(es)?$/i.test(answer.trim()))
            throw new CliError('delete: not confirmed; nothing deleted');
        }
        return store.deleteSession(sessionId);
      },
    );
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify({ sessionId, ...result })}\n`);
      return;
    }
    await ctx.stdout.write(
      `deleted session ${JSON.stringify(sessionId)}: ${formatCount(result.deletedEvents)} events erased\n`,
    );
  });
}
