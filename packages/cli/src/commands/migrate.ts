import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, storeOf } from '../command-options.js';
import { loadAdapter } from '../load-adapter.js';
import { withStore } from '../with-store.js';

interface MigrateOptions {
  store?: string;
  json?: boolean;
}

export function migrateCommand(ctx: CommandContext): Command {
  const command = new Command('migrate')
    .description('create the store, or bring its schema or layout to this version')
    .addHelpText(
      'after',
      `
PostgreSQL: applies the pending migrations under the schema's advisory lock (safe while several
deploys run it at once) and reports their versions. SQLite: creates the database file if
missing and applies pending migrations. File: creates the root if missing and upgrades an
older layout. Run it before a deploy whose services open stores with migrate: false.

Example:
  history migrate --store 'postgres://app@db/app?schema=history'`,
    );
  addStoreOption(command);
  addJsonOption(command, 'print the result as JSON');
  return command.action(async (options: MigrateOptions) => {
    const location = storeOf(options);
    let result: { store: string; applied?: number[]; version?: number };
    if (location.kind === 'postgres') {
      const { migrate } = await loadAdapter('postgres');
      const { applied, version } = await migrate(
        { connectionString: location.connectionString },
        location.schema === undefined ? {} : { schema: location.schema },
      );
      result = { store: location.display, applied, version };
    } else {
      await withStore(location, { mode: 'write', threads: false }, async () => {});
      result = { store: location.display };
    }
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const detail =
      result.applied === undefined
        ? 'created or migrated to the current version'
        : result.applied.length === 0
          ? `already at version ${result.version}`
          : `applied migrations ${result.applied.join(', ')}; now at version ${result.version}`;
    await ctx.stdout.write(`${result.store}: ${detail}\n`);
  });
}
