import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { SessionInfo } from '@history/core';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import {
  addJsonOption,
  addProgressOptions,
  addStoreOption,
  collect,
  type ProgressFlags,
  storeOf,
} from '../command-options.js';
import { EXIT } from '../exit-codes.js';
import { exportLine } from '../export-line.js';
import { formatCount, formatDuration } from '../format-values.js';
import { catchInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { withStore } from '../with-store.js';

/** Lines are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

interface ExportOptions extends ProgressFlags {
  store?: string;
  session?: string[];
  prefix?: string;
  output?: string;
  gzip?: boolean;
  json?: boolean;
}

export function exportCommand(ctx: CommandContext): Command {
  const command = new Command('export')
    .description(
      'write events as JSON lines (one envelope per line, with its seq), optionally gzipped',
    )
    .option('--session <id>', 'export this session (repeatable)', collect)
    .option('--prefix <text>', 'export the sessions whose id starts with it')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--gzip', 'gzip the output (the default for an --output ending in .gz)');
  addStoreOption(command);
  addJsonOption(command, 'print the summary on stdout as JSON (needs --output)');
  addProgressOptions(command);
  command.addHelpText(
    'after',
    `
Without --session or --prefix, every session. Each line is
  {"sessionId":"…","seq":1,"createdAt":"…","envelope":{…}}
with the envelope exactly as stored; sessions in id order, each in seq order. \`history import\`
reads it back. The checkpoints are not exported (\`history copy\` copies them).

Examples:
  history export --store sqlite:./history.db --session chat-42 > chat-42.jsonl
  history export --store postgres://localhost/app?schema=history -o all.jsonl.gz`,
  );
  return command.action(async (options: ExportOptions) => {
    const location = storeOf(options);
    if (options.json && options.output === undefined) {
      throw new CliError(
        'export: --json prints the summary on stdout, so it needs --output',
        EXIT.usage,
      );
    }
    const gzip = options.gzip ?? options.output?.endsWith('.gz') ?? false;
    if (gzip && options.output === undefined && process.stdout.isTTY) {
      throw new CliError(
        'export: not writing gzip to a terminal: use --output or a pipe',
        EXIT.usage,
      );
    }
    const interrupt = catchInterrupt();
    const started = Date.now();
    try {
      const summary = await withStore(
        location,
        { mode: 'read', pageSize: 5000 },
        async ({ store }) => {
          const sessions: SessionInfo[] = [];
          if (options.session !== undefined) {
            for (const id of options.session) {
              const s = await store.getSession(id);
              if (s === null)
                throw new CliError(`no session ${JSON.stringify(id)} in ${location.display}`);
              sessions.push(s);
            }
          } else {
            const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
            for await (const s of store.listSessions(prefix)) sessions.push(s);
          }
          const total = sessions.reduce((sum, s) => sum + s.eventCount, 0);

          const progress = startProgress({
            label: 'export',
            stream: ctx.stderr,
            enabled: options.progress,
            intervalSeconds: options.progressInterval,
            total,
          });
          let events = 0;
          const signal = interrupt.signal;
          // The lines in chunks of about 64 KiB (a write per chunk, not per line).
          async function* chunks(): AsyncGenerator<string> {
            let chunk = '';
            for (const s of sessions) {
              if (signal.aborted) break;
              // No `signal` for the stream: that would leave the replay's fast path.
              for await (const record of store.stream(s.sessionId)) {
                chunk += exportLine(record);
                progress.update(++events);
                if (chunk.length >= CHUNK_CHARS) {
                  yield chunk;
                  chunk = '';
                }
                if (signal.aborted) break;
              }
            }
            if (chunk !== '') yield chunk;
          }
          try {
            // pipeline: backpressure from a slow reader, and a file that cannot be written
            // (a missing directory, a full disk) fails the command instead of crashing it.
            const source = Readable.from(chunks());
            const sink =
              options.output === undefined ? process.stdout : createWriteStream(options.output);
            // stdout is not ended: it is the process's, and a summary may follow.
            const end = options.output !== undefined;
            if (gzip) await pipeline(source, createGzip(), sink, { end });
            else await pipeline(source, sink, { end });
          } finally {
            progress.stop();
          }
          return { sessions: sessions.length, events, interrupted: interrupt.signal.aborted };
        },
      );
      const seconds = (Date.now() - started) / 1000;
      if (summary.interrupted) {
        throw new CliError(
          `export: interrupted after ${formatCount(summary.events)} events; the output is incomplete`,
          EXIT.interrupted,
        );
      }
      if (options.json) {
        await ctx.stdout.write(
          `${JSON.stringify({ ...summary, output: options.output, gzip, seconds })}\n`,
        );
      } else if (options.output !== undefined || ctx.stderr.isTTY) {
        ctx.stderr.write(
          `exported ${formatCount(summary.events)} events of ${formatCount(summary.sessions)} sessions${options.output === undefined ? '' : ` to ${options.output}`} in ${formatDuration(seconds)}\n`,
        );
      }
    } finally {
      interrupt.dispose();
    }
  });
}
