import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, positiveCount, storeOf } from '../command-options.js';
import { formatCount } from '../format-values.js';
import { withStore } from '../with-store.js';

interface PurgeOptions {
  store?: string;
  limit?: number;
  json?: boolean;
}

export function purgeCommand(ctx: CommandContext): Command {
  const command = new Command('purge')
    .description('remove expired events (past occurredAt + ttlMs) physically')
    .option('--limit <n>', 'remove at most this many events in this run', positiveCount);
  addStoreOption(command);
  addJsonOption(command, 'print { deletedEvents, sessions, done } as JSON');
  command.addHelpText(
    'after',
    `
Expired events are never streamed; purge reclaims their space, in short chunks that let the
store's writers through between them. Seqs are kept: a session's last seq never goes back.

Example:
  history purge --store sqlite:./history.db`,
  );
  return command.action(async (options: PurgeOptions) => {
    const location = storeOf(options);
    const result = await withStore(location, { mode: 'existing', threads: false }, ({ store }) =>
      store.purgeExpired(options.limit === undefined ? {} : { limit: options.limit }),
    );
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    await ctx.stdout.write(
      `purged ${formatCount(result.deletedEvents)} expired events from ${formatCount(result.sessions)} sessions${result.done ? '' : ' (more are left: run it again)'}\n`,
    );
  });
}
