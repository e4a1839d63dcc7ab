import type { IntegrityProblem } from '@history/core';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import {
  addJsonOption,
  addProgressOptions,
  addStoreOption,
  type ProgressFlags,
  positiveCount,
  storeOf,
} from '../command-options.js';
import { EXIT } from '../exit-codes.js';
import { type Column, formatTable } from '../format-table.js';
import { formatCount } from '../format-values.js';
import { catchInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { verifyStore } from '../verify-store.js';

interface VerifyCommandOptions extends ProgressFlags {
  store?: string;
  maxProblems: number;
  json?: boolean;
}

const COLUMNS: Column[] = [
  { header: 'KIND' },
  { header: 'SESSION' },
  { header: 'SEQ', align: 'right' },
  { header: 'WHERE' },
  { header: 'WHAT' },
];

export function verifyCommand(ctx: CommandContext): Command {
  const command = new Command('verify')
    .description("check a store's integrity without changing it; exit code 1 on any problem")
    .option('--max-problems <n>', 'stop listing problems after this many', positiveCount, 1000);
  addStoreOption(command);
  addJsonOption(command, 'print the report as JSON: { sessions, events, problems: [...] }');
  addProgressOptions(command);
  command.addHelpText(
    'after',
    `
Checks seq order, duplicate seqs and ids, seq gaps the store cannot account for, torn records,
JSON validity of every stored envelope, index consistency (a file root's indexes and feed index)
and session summaries, through the adapter's verify function. The store is read, never opened
for writing: nothing is repaired (a torn line is cut by the next writable open). Each problem:
its kind, session, seq, where it is (a file and offset or line, or a table and key) and what.
Exit code 0 when sound, 1 when a problem was found.

Example:
  history verify --store file:./history`,
  );
  return command.action(async (options: VerifyCommandOptions) => {
    const location = storeOf(options);
    const interrupt = catchInterrupt();
    const progress = startProgress({
      label: 'verify',
      stream: ctx.stderr,
      enabled: options.progress,
      intervalSeconds: options.progressInterval,
    });
    let report: Awaited<ReturnType<typeof verifyStore>>;
    try {
      report = await verifyStore(location, {
        maxProblems: options.maxProblems,
        signal: interrupt.signal,
        onProgress: (events) => progress.update(events),
      });
    } catch (error) {
      if (interrupt.signal.aborted) {
        throw new CliError('verify: interrupted', EXIT.interrupted, { cause: error });
      }
      throw error;
    } finally {
      progress.stop();
      interrupt.dispose();
    }
    if (report.problems.length > 0) ctx.exitCode = EXIT.failure;
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify({ store: location.display, ...report })}\n`);
      return;
    }
    const n = report.problems.length;
    await ctx.stdout.write(
      `${location.display}: ${formatCount(report.sessions)} sessions, ${formatCount(report.events)} events checked: ${n === 0 ? 'no problems' : `${formatCount(n)} problem${n === 1 ? '' : 's'}${n >= options.maxProblems ? ' (listing stopped at --max-problems)' : ''}`}\n`,
    );
    if (n > 0) {
      await ctx.stdout.write(formatTable(COLUMNS, report.problems.map(row)).text);
    }
  });
}

function row(p: IntegrityProblem): string[] {
  return [
    p.kind,
    p.sessionId ?? '-',
    p.seq === undefined ? '-' : String(p.seq),
    p.location,
    p.message,
  ];
}
