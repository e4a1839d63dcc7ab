import type { SessionInfo } from '@history/core';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import {
  addJsonOption,
  addProgressOptions,
  collect,
  type ProgressFlags,
  positiveCount,
} from '../command-options.js';
import { copySession } from '../copy-session.js';
import { EXIT } from '../exit-codes.js';
import { formatCount, formatDuration } from '../format-values.js';
import { catchInterrupt } from '../interrupt.js';
import { type OpenedStore, openStore } from '../open-store.js';
import { startProgress } from '../progress.js';
import { parseStoreUrl } from '../store-url.js';
import { WRITER_OPTIONS } from '../writer-options.js';

interface CopyOptions extends ProgressFlags {
  session?: string[];
  prefix?: string;
  renumber?: boolean;
  chunkSize: number;
  concurrency: number;
  json?: boolean;
}

export function copyCommand(ctx: CommandContext): Command {
  const command = new Command('copy')
    .description('copy every session (events and checkpoints) from one store to another')
    .argument('<from>', 'source store URL (read only)')
    .argument('<to>', 'target store URL (created if missing)')
    .option('--session <id>', 'copy this session only (repeatable)', collect)
    .option('--prefix <text>', 'copy the sessions whose id starts with it')
    .option(
      '--renumber',
      'also copy sessions whose seqs have gaps, with the seqs the target hands out',
    )
    .option(
      '--chunk-size <n>',
      'events per conditional appendMany (at most 5000)',
      positiveCount,
      2000,
    )
    .option(
      '--concurrency <n>',
      'most sessions copied at once (fewer while large ones hold two chunks in flight)',
      positiveCount,
      32,
    );
  addJsonOption(command, 'print the summary as JSON');
  addProgressOptions(command);
  command.addHelpText(
    'after',
    `
Idempotent and resumable: for each session the target's last seq says where it stands, and only
the events after it are copied (in chunks appended on condition that the target session is
still at the seq the copy expects, so another writer is detected, not interleaved). Run it
again after an interruption to copy the rest. Then each session's checkpoint is copied.

Seqs: the target hands them out, so a session keeps its seqs only when they run from 1 without
a gap. A session whose seqs have gaps (purged or expired events, or a session deleted and
appended to again) is refused and reported, and the copy exits with 1 after the other sessions;
--renumber copies it with the target's seqs (and its checkpoint's seq translated).

Ctrl-C (or SIGTERM) stops reading, lets the chunks in flight commit, closes both stores and
exits with 130; both stores are consistent, and the same command finishes the copy.

Examples:
  history copy sqlite:./history.db 'postgres://app@db/app?schema=history'
  history copy file:./history sqlite:./history.db --prefix chat-`,
  );
  return command.action(async (from: string, to: string, options: CopyOptions) => {
    const sourceAt = parseStoreUrl(from, '<from>');
    const targetAt = parseStoreUrl(to, '<to>');
    if (JSON.stringify(sourceAt) === JSON.stringify(targetAt)) {
      throw new CliError('copy: <from> and <to> are the same store', EXIT.usage);
    }
    if (options.chunkSize > 5000) {
      throw new CliError('--chunk-size: at most 5000 (one batch of the target)', EXIT.usage);
    }
    const interrupt = catchInterrupt(
      'history: interrupted: finishing the chunks in flight (Ctrl-C again to quit at once)',
    );
    let source: OpenedStore | undefined;
    let target: OpenedStore | undefined;
    const started = Date.now();
    try {
      source = await openStore(sourceAt, { mode: 'read', pageSize: 5000 });
      target = await openStore(targetAt, { mode: 'write', storeOptions: WRITER_OPTIONS });
      const summary = await copyAll(ctx, source, target, options, interrupt.signal);
      const seconds = (Date.now() - started) / 1000;
      const refused = summary.refused;
      const report = {
        ...summary,
        seconds,
        eventsPerSecond: seconds > 0 ? Math.round(summary.copied / seconds) : 0,
        interrupted: interrupt.signal.aborted,
      };
      await Promise.all([source.close(), target.close()]);
      if (options.json) await ctx.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        await ctx.stdout.write(
          `copied ${formatCount(summary.copied)} events of ${formatCount(summary.sessions)} sessions (${formatCount(summary.complete)} already complete) and ${formatCount(summary.checkpoints)} checkpoints in ${formatDuration(seconds)} (${formatCount(report.eventsPerSecond)} ev/s)\n`,
        );
        if (summary.renumbered > 0) {
          ctx.stderr.write(
            `history: warning: ${formatCount(summary.renumbered)} sessions got other seqs at the target (--renumber)\n`,
          );
        }
        for (const r of refused) {
          ctx.stderr.write(
            `history: session ${JSON.stringify(r.sessionId)} not copied: ${r.reason}\n`,
          );
        }
      }
      if (interrupt.signal.aborted) {
        throw new CliError(
          `copy: interrupted after ${formatCount(summary.copied)} events; both stores are consistent: run the same command again to copy the rest`,
          EXIT.interrupted,
        );
      }
      if (refused.length > 0) {
        if (!options.json) {
          ctx.stderr.write(
            `history: ${formatCount(refused.length)} sessions not copied (see above)\n`,
          );
        }
        ctx.exitCode = EXIT.failure;
      }
    } finally {
      interrupt.dispose();
      await Promise.allSettled([source?.close(), target?.close()]);
    }
  });
}

interface CopySummary {
  sessions: number;
  copied: number;
  /** Sessions the target already had whole. */
  complete: number;
  checkpoints: number;
  renumbered: number;
  refused: Array<{ sessionId: string; copied: number; reason: string }>;
}

/**
 * Copies the sessions, several at a time: a session's chunks are appended one after another
 * (each on condition of the last), so sessions in parallel are what fills the target's
 * batches (its writer commits several sessions' chunks together) and hides the round trips
 * of small sessions.
 */
async function copyAll(
  ctx: CommandContext,
  source: OpenedStore,
  target: OpenedStore,
  options: CopyOptions,
  signal: AbortSignal,
): Promise<CopySummary> {
  const sessions: SessionInfo[] = [];
  if (options.session !== undefined) {
    for (const id of options.session) {
      const s = await source.store.getSession(id);
      if (s === null) {
        throw new CliError(`no session ${JSON.stringify(id)} in ${source.location.display}`);
      }
      sessions.push(s);
    }
  } else {
    const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
    for await (const s of source.store.listSessions(prefix)) sessions.push(s);
  }
  const total = sessions.reduce((sum, s) => sum + s.eventCount, 0);
  const progress = startProgress({
    label: 'copy',
    stream: ctx.stderr,
    enabled: options.progress,
    intervalSeconds: options.progressInterval,
    total,
  });
  const summary: CopySummary = {
    sessions: sessions.length,
    copied: 0,
    complete: 0,
    checkpoints: 0,
    renumbered: 0,
    refused: [],
  };
  // Events at the target per session in progress, plus those of sessions finished.
  let finished = 0;
  const current = new Map<string, number>();
  const report = () => {
    let done = finished;
    for (const n of current.values()) done += n;
    progress.update(done);
  };
  // A failure stops the other workers at their next chunk.
  const stop = new AbortController();
  const both = stop.signal;
  if (signal.aborted) stop.abort(signal.reason);
  else signal.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  const copyOne = async (session: SessionInfo) => {
    current.set(session.sessionId, 0);
    const result = await copySession({
      source: source.store,
      target: target.store,
      session,
      chunkSize: options.chunkSize,
      renumber: options.renumber === true,
      signal: both,
      onProgress(events) {
        current.set(session.sessionId, events);
        report();
      },
    });
    finished += current.get(session.sessionId) ?? 0;
    current.delete(session.sessionId);
    summary.copied += result.copied;
    if (result.status === 'refused') {
      summary.refused.push({
        sessionId: session.sessionId,
        copied: result.copied,
        reason: result.reason,
      });
    } else if (result.status === 'done') {
      if (result.copied === 0) summary.complete++;
      if (result.checkpoint) summary.checkpoints++;
      if (result.renumbered) summary.renumbered++;
    }
  };
  // Up to `concurrency` sessions at once, and no more than two chunks' worth of events in
  // flight: large sessions go two at a time (each already fills the target's batches), small
  // ones many at a time (each costs a few round trips more than its events).
  const budget = 2 * options.chunkSize;
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  try {
    for (const session of sessions) {
      const weight = Math.min(Math.max(session.eventCount, 1), options.chunkSize);
      while (
        running.size > 0 &&
        (running.size >= options.concurrency || inFlight + weight > budget)
      ) {
        await Promise.race(running);
      }
      if (both.aborted) break;
      inFlight += weight;
      const run: Promise<void> = copyOne(session)
        .catch((error) => {
          // A failure stops the others at their next chunk; the first one is reported.
          failure ??= { error };
          stop.abort(error);
        })
        .finally(() => {
          inFlight -= weight;
          running.delete(run);
        });
      running.add(run);
    }
    await Promise.all(running);
    if (failure) throw failure.error;
  } finally {
    progress.stop();
  }
  return summary;
}
