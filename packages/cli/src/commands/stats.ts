import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, storeOf } from '../command-options.js';
import { type Column, formatTable } from '../format-table.js';
import { formatBytes, formatCount } from '../format-values.js';
import { storageBytes } from '../storage-bytes.js';
import { withStore } from '../with-store.js';

interface StatsOptions {
  store?: string;
  prefix?: string;
  json?: boolean;
}

export function statsCommand(ctx: CommandContext): Command {
  const command = new Command('stats')
    .description('count sessions and events, and the bytes the store takes')
    .option(
      '--prefix <text>',
      'only the sessions whose id starts with it (bytes stay the whole store)',
    );
  addStoreOption(command);
  addJsonOption(command, 'print the figures as one JSON object');
  command.addHelpText(
    'after',
    `
sessions and events come from the session listing (events stored now, expired ones until
purged); bytes is what the store takes on disk (a file root's files, the SQLite database and
its WAL, the PostgreSQL schema's tables, indexes and TOAST); oldest and newest are the
first and the latest commit times of any session's appends.

Example:
  history stats --store sqlite:./history.db --json`,
  );
  return command.action(async (options: StatsOptions) => {
    const location = storeOf(options);
    const stats = await withStore(location, { mode: 'read', threads: false }, async ({ store }) => {
      let sessions = 0;
      let events = 0;
      let oldest: string | undefined;
      let newest: string | undefined;
      const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
      for await (const s of store.listSessions(prefix)) {
        sessions++;
        events += s.eventCount;
        if (oldest === undefined || Date.parse(s.createdAt) < Date.parse(oldest))
          oldest = s.createdAt;
        if (newest === undefined || Date.parse(s.updatedAt) > Date.parse(newest))
          newest = s.updatedAt;
      }
      const bytes = await storageBytes(location);
      return {
        store: location.display,
        sessions,
        events,
        bytes,
        oldest: oldest ?? null,
        newest: newest ?? null,
      };
    });
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify(stats)}\n`);
      return;
    }
    const rows = [
      ['store', stats.store],
      ['sessions', formatCount(stats.sessions)],
      ['events', formatCount(stats.events)],
      ['bytes', `${formatBytes(stats.bytes)} (${formatCount(stats.bytes)})`],
      ['oldest', stats.oldest ?? '-'],
      ['newest', stats.newest ?? '-'],
    ];
    const columns: Column[] = [{ header: '' }, { header: '' }];
    await ctx.stdout.write(formatTable(columns, rows, { header: false }).text);
  });
}
