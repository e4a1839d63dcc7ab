import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, count, storeOf } from '../command-options.js';
import { exportLine } from '../export-line.js';
import { recordText } from '../record-text.js';
import { withStore } from '../with-store.js';

interface CatOptions {
  store?: string;
  after?: number;
  from?: string;
  to?: string;
  limit?: number;
  backward?: boolean;
  json?: boolean;
}

export function catCommand(ctx: CommandContext): Command {
  const command = new Command('cat')
    .description("print a session's events in seq order")
    .argument('<session>', 'session id')
    .option('--after <seq>', 'only events after this seq (before it with --backward)', count)
    .option('--from <time>', 'only events that occurred at or after this ISO-8601 instant')
    .option('--to <time>', 'only events that occurred at or before this ISO-8601 instant')
    .option('--limit <n>', 'at most this many events', count)
    .option('--backward', 'newest first');
  addStoreOption(command);
  addJsonOption(command, 'one JSON line per event, as `history export` writes them');
  command.addHelpText(
    'after',
    `
Each line: seq, occurredAt, type and the payload as JSON (cut to the terminal's width on a
terminal). With --json: {"sessionId","seq","createdAt","envelope"} per line.

Examples:
  history cat chat-42 --store sqlite:./history.db --limit 20
  history cat chat-42 --store file:./history --from 2026-01-01T00:00:00Z --json | jq .envelope.type`,
  );
  return command.action(async (sessionId: string, options: CatOptions) => {
    const location = storeOf(options);
    await withStore(location, { mode: 'read', threads: false }, async ({ store }) => {
      const session = await store.getSession(sessionId);
      if (session === null) {
        throw new CliError(`no session ${JSON.stringify(sessionId)} in ${location.display}`);
      }
      const seqWidth = String(session.lastSeq).length;
      const columns = ctx.stdout.columns;
      const records = store.stream(sessionId, {
        ...(options.after === undefined ? {} : { after: options.after }),
        ...(options.from === undefined ? {} : { from: options.from }),
        ...(options.to === undefined ? {} : { to: options.to }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        ...(options.backward ? { direction: 'backward' as const } : {}),
      });
      for await (const record of records) {
        await ctx.stdout.write(
          options.json
            ? exportLine(record)
            : recordText(record, { seqWidth, ...(columns === undefined ? {} : { columns }) }),
        );
      }
    });
  });
}
