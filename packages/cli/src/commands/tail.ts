import type { FeedEntry, HistoryRecord, HistoryStore } from '@history/core';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { addJsonOption, addStoreOption, count, storeOf } from '../command-options.js';
import { EXIT } from '../exit-codes.js';
import { exportLine } from '../export-line.js';
import { catchInterrupt } from '../interrupt.js';
import type { Output } from '../output.js';
import { recordText } from '../record-text.js';
import { withStore } from '../with-store.js';

interface TailOptions {
  store?: string;
  all?: boolean;
  lines: number;
  after?: string;
  follow: boolean;
  json?: boolean;
}

export function tailCommand(ctx: CommandContext): Command {
  const command = new Command('tail')
    .description("print a session's last events, then each new one as it is committed")
    .argument('[session]', 'session id (or --all)')
    .option('--all', 'every session: the store-wide feed, in commit order')
    .option('-n, --lines <n>', 'how many of the last events to print first', count, 10)
    .option(
      '--after <cursor>',
      'print everything after this seq (or, with --all, feed position) instead of the last --lines',
    )
    .option('--no-follow', 'print the last events and stop');
  addStoreOption(command);
  addJsonOption(
    command,
    'one JSON line per event, as `history export` writes them (with --all, plus its feed "position")',
  );
  command.addHelpText(
    'after',
    `
Follows until Ctrl-C (exit code 0). A file store is opened read-only, so tail works beside the
process that writes it. --all reads the whole feed once to find its end; with --json each line
carries the feed position, which --after resumes from.

Examples:
  history tail chat-42 --store sqlite:./history.db
  history tail --all --store file:./history --json`,
  );
  return command.action(async (sessionId: string | undefined, options: TailOptions) => {
    const location = storeOf(options);
    if ((sessionId === undefined) === (options.all !== true)) {
      throw new CliError('tail: give a session id or --all (not both)', EXIT.usage);
    }
    const interrupt = catchInterrupt();
    try {
      await withStore(location, { mode: 'read', threads: false }, async ({ store }) => {
        const out = ctx.stdout;
        const signal = interrupt.signal;
        if (sessionId !== undefined) await tailSession(store, sessionId, options, out, signal);
        else await tailFeed(store, options, out, signal);
      });
    } finally {
      interrupt.dispose();
    }
  });
}

async function tailSession(
  store: HistoryStore,
  sessionId: string,
  options: TailOptions,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  const print = (record: HistoryRecord) =>
    out.write(
      options.json
        ? exportLine(record)
        : recordText(record, out.columns === undefined ? {} : { columns: out.columns }),
    );
  let after: number;
  if (options.after !== undefined) {
    after = Number(options.after);
    if (!/^\d+$/.test(options.after) || !Number.isSafeInteger(after)) {
      throw new CliError(
        `--after: expected a seq (a whole number), got ${options.after}`,
        EXIT.usage,
      );
    }
  } else {
    const last: HistoryRecord[] = [];
    if (options.lines > 0) {
      for await (const r of store.stream(sessionId, {
        direction: 'backward',
        limit: options.lines,
      })) {
        last.push(r);
      }
    }
    last.reverse();
    for (const r of last) await print(r);
    // Follow from the session's end, not the last event printed: -n 0 prints nothing old.
    after = (await store.getSession(sessionId))?.lastSeq ?? 0;
    if (last.length > 0) after = Math.min(after, last.at(-1)!.seq);
  }
  await out.flush();
  for await (const record of store.stream(sessionId, {
    after,
    follow: options.follow,
    signal,
  })) {
    await print(record);
    await out.flush();
  }
}

async function tailFeed(
  store: HistoryStore,
  options: TailOptions,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  const print = (entry: FeedEntry) =>
    out.write(
      options.json
        ? `{"position":${JSON.stringify(entry.position)},${exportLine(entry.record).slice(1)}`
        : recordText(entry.record, {
            session: true,
            ...(out.columns === undefined ? {} : { columns: out.columns }),
          }),
    );
  let after = options.after;
  if (after === undefined) {
    // The feed has no "end" cursor: read it through, keeping the last few entries.
    const last: FeedEntry[] = [];
    for await (const entry of store.feed({ signal })) {
      last.push(entry);
      if (last.length > options.lines) last.shift();
      after = entry.position;
    }
    for (const entry of last) await print(entry);
  }
  await out.flush();
  if (signal.aborted) return;
  for await (const entry of store.feed({
    ...(after === undefined ? {} : { after }),
    follow: options.follow,
    signal,
  })) {
    await print(entry);
    await out.flush();
  }
}
