import type { SessionInfo } from '@history/core';
import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, count, storeOf } from '../command-options.js';
import { type Column, formatTable } from '../format-table.js';
import { formatCount } from '../format-values.js';
import { withStore } from '../with-store.js';

interface SessionsOptions {
  store?: string;
  prefix?: string;
  after?: string;
  limit?: number;
  json?: boolean;
}

const COLUMNS: Column[] = [
  { header: 'SESSION' },
  { header: 'EVENTS', align: 'right' },
  { header: 'LAST SEQ', align: 'right' },
  { header: 'CREATED' },
  { header: 'UPDATED' },
];

/** Rows are printed in chunks: a listing of a million sessions is never held whole. */
const CHUNK = 200;

export function sessionsCommand(ctx: CommandContext): Command {
  const command = new Command('sessions')
    .description('list sessions in id order, with their event counts and times')
    .option('--prefix <text>', 'only sessions whose id starts with it')
    .option('--after <id>', 'only sessions whose id sorts after it (resume a listing)')
    .option('--limit <n>', 'at most this many sessions', count);
  addStoreOption(command);
  addJsonOption(command, 'one JSON object per session per line');
  command.addHelpText(
    'after',
    `
Columns: EVENTS are the events stored now (expired ones until purged), LAST SEQ the last seq
handed out, CREATED and UPDATED the commit times of its first and latest appends.

Examples:
  history sessions --store sqlite:./history.db --prefix chat- --limit 20
  history sessions --store file:./history --json | jq -r .sessionId`,
  );
  return command.action(async (options: SessionsOptions) => {
    const location = storeOf(options);
    await withStore(location, { mode: 'read', threads: false }, async ({ store }) => {
      const listing = store.listSessions({
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        ...(options.after === undefined ? {} : { after: options.after }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      });
      let rows: SessionInfo[] = [];
      let widths: number[] | undefined;
      let printed = 0;
      const print = async () => {
        if (options.json) {
          for (const s of rows) await ctx.stdout.write(`${JSON.stringify(s)}\n`);
        } else if (rows.length > 0) {
          const table = formatTable(
            COLUMNS,
            rows.map((s) => [
              s.sessionId,
              formatCount(s.eventCount),
              String(s.lastSeq),
              s.createdAt,
              s.updatedAt,
            ]),
            { header: printed === 0, ...(widths === undefined ? {} : { widths }) },
          );
          widths = table.widths;
          await ctx.stdout.write(table.text);
        }
        printed += rows.length;
        rows = [];
      };
      for await (const session of listing) {
        rows.push(session);
        if (rows.length >= CHUNK) await print();
      }
      await print();
      if (printed === 0 && !options.json && ctx.stdout.isTTY) {
        await ctx.stdout.write('(no sessions)\n');
      }
    });
  });
}
