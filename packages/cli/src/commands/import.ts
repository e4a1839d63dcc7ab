import { type Envelope, HistoryError } from '@history/core';
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
import { parseImportLine } from '../export-line.js';
import { formatCount, formatDuration } from '../format-values.js';
import { catchInterrupt } from '../interrupt.js';
import { openLineInput } from '../line-input.js';
import { startProgress } from '../progress.js';
import { withStore } from '../with-store.js';
import { WRITER_OPTIONS } from '../writer-options.js';

interface ImportOptions extends ProgressFlags {
  store?: string;
  batchSize: number;
  json?: boolean;
}

interface Chunk {
  envelopes: Envelope[];
  seqs: (number | undefined)[];
  lines: number[];
}

export function importCommand(ctx: CommandContext): Command {
  const command = new Command('import')
    .description(
      'append JSON lines (as `history export` writes them, or bare envelopes) to a store',
    )
    .argument('[file]', 'the file to read; - or none: stdin (gzip is recognised)')
    .option('--batch-size <n>', 'envelopes per appendMany call', positiveCount, 2000);
  addStoreOption(command);
  addJsonOption(command, 'print the summary as JSON');
  addProgressOptions(command);
  command.addHelpText(
    'after',
    `
Idempotent: envelopes are identified by their id, so importing a file again (or the rest of it
after an interruption) stores nothing twice. The store creates the sessions and hands out the
seqs: an export of whole sessions imported into a store that lacks them gets the same seqs; the
summary counts events that got another seq than their line says. Stops at the first invalid
line (everything before it is stored). Ctrl-C stops reading, lets the batch in flight commit
and exits with 130.

Examples:
  history import chat-42.jsonl --store sqlite:./history.db
  gunzip -c all.jsonl.gz | history import --store file:./history`,
  );
  return command.action(async (file: string | undefined, options: ImportOptions) => {
    const location = storeOf(options);
    if ((file === undefined || file === '-') && process.stdin.isTTY) {
      throw new CliError('import: give a file, or pipe JSON lines into stdin', EXIT.usage);
    }
    const input = await openLineInput(file);
    const interrupt = catchInterrupt(
      'history: interrupted: finishing the batch in flight (Ctrl-C again to quit at once)',
    );
    const started = Date.now();
    const counts = { lines: 0, imported: 0, duplicates: 0, renumbered: 0 };
    try {
      await withStore(
        location,
        { mode: 'write', storeOptions: WRITER_OPTIONS },
        async ({ store }) => {
          const progress = startProgress({
            label: 'import',
            stream: ctx.stderr,
            enabled: options.progress,
            intervalSeconds: options.progressInterval,
            unit: 'bytes',
            ...(input.totalBytes === undefined ? {} : { total: input.totalBytes }),
          });
          let inFlight: Promise<void> | undefined;
          let failure: unknown;
          const write = async (chunk: Chunk) => {
            let results: Awaited<ReturnType<typeof store.appendMany>>;
            try {
              results = await store.appendMany(chunk.envelopes);
            } catch (error) {
              throw atLine(error, chunk);
            }
            results.forEach((r, i) => {
              if (r.duplicate) counts.duplicates++;
              else {
                counts.imported++;
                const seq = chunk.seqs[i];
                if (seq !== undefined && seq !== r.seq) counts.renumbered++;
              }
            });
            progress.update(input.bytesRead(), counts.imported + counts.duplicates);
          };
          const submit = async (chunk: Chunk) => {
            if (inFlight) await inFlight;
            if (failure !== undefined) throw failure;
            if (chunk.envelopes.length === 0) return;
            inFlight = write(chunk).catch((error) => {
              failure = error;
            });
          };
          let chunk: Chunk = { envelopes: [], seqs: [], lines: [] };
          try {
            for await (const text of input.lines) {
              counts.lines++;
              if (text.trim() === '') continue;
              const line = parseImportLine(text, `line ${counts.lines}`);
              chunk.envelopes.push(line.envelope);
              chunk.seqs.push(line.seq);
              chunk.lines.push(counts.lines);
              if (chunk.envelopes.length >= options.batchSize) {
                await submit(chunk);
                chunk = { envelopes: [], seqs: [], lines: [] };
                if (interrupt.signal.aborted) break;
              }
            }
            if (!interrupt.signal.aborted) await submit(chunk);
            if (inFlight) await inFlight;
            if (failure !== undefined) throw failure;
          } finally {
            input.close();
            progress.stop();
          }
        },
      );
    } finally {
      interrupt.dispose();
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = { ...counts, seconds, interrupted: interrupt.signal.aborted };
    if (summary.interrupted) {
      throw new CliError(
        `import: interrupted after ${formatCount(counts.imported)} new events (${formatCount(counts.duplicates)} already there); run it again to import the rest`,
        EXIT.interrupted,
      );
    }
    if (options.json) {
      await ctx.stdout.write(`${JSON.stringify(summary)}\n`);
      return;
    }
    const parts = [
      `imported ${formatCount(counts.imported)} events`,
      `${formatCount(counts.duplicates)} already there`,
    ];
    if (counts.renumbered > 0)
      parts.push(`${formatCount(counts.renumbered)} with another seq than in the file`);
    await ctx.stdout.write(`${parts.join(', ')} (${formatDuration(seconds)})\n`);
  });
}

/** An invalid envelope's error (`field` is `envelopes[i]...`), with the line it came from. */
function atLine(error: unknown, chunk: Chunk): unknown {
  if (!HistoryError.isInstance(error)) return error;
  const field = (error as { field?: unknown }).field;
  const match = typeof field === 'string' ? /^envelopes\[(\d+)\]\.?(.*)$/.exec(field) : null;
  const line = match ? chunk.lines[Number(match[1])] : undefined;
  if (match === null || line === undefined) return error;
  const reason = error.message
    .replace(/^Invalid envelope: /, '')
    .replace(/^envelopes\[\d+\]\.?/, '');
  return new CliError(
    `line ${line}: invalid envelope: ${reason.replace(/^: /, '')}; the lines before it were imported`,
    EXIT.failure,
    { cause: error },
  );
}
