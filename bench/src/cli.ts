import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProgress } from './progress.js';
import { renderScaleTable } from './report/scale-table.js';
import { renderSvg } from './report/svg.js';
import { renderTable } from './report/table.js';
import { SCENARIOS, type Scenario } from './results.js';
import { runBenchmark } from './run-benchmark.js';
import { runScale } from './scale/run-scale.js';
import { SCALE, SCALE_TINY, scaleSizes } from './scale/scale-sizes.js';
import { FULL, QUICK, type Sizes, TINY } from './sizes.js';

const HELP = `pnpm bench [-- options]

  --full                 larger sizes (default: quick mode, under 3 minutes)
  --tiny                 a few hundred events: checks every code path in seconds (smoke test)
  --adapters=LIST        comma-separated: memory,file,sqlite,postgres (default all four)
  --scenarios=LIST       comma-separated: ${SCENARIOS.join(',')} (default all)
  --seed=N               workload seed (default 42)
  --events=N             bulk-ingest events per adapter (overrides the mode's size)
  --deep-events=N        size of the session replay jumps deep into (default 100000)
  --sessions=N           sessions the bulk-ingest events are spread over (quick 50, full 500)
  --batch-size=N         envelopes per appendMany call and rows per ceiling batch (default 1000)
  --purge-events=N       lifecycle: expired events purged (full 1000000; quick 0: not run)
  --list-sessions=N      lifecycle: sessions listSessions pages through (full 100000; quick 0: not run)
  --out=DIR              where to write <timestamp>.json, latest.json, latest.svg (default bench/results)
  --no-write             print the table only
  --json                 print the JSON result on stdout instead of the table

  --scale                PostgreSQL at scale instead (not part of quick or full mode): loads
                         10,000,000 events over 100,000 sessions, plain and hash-partitioned,
                         and measures appends and replays at 1,000,000 and at 10,000,000 events;
                         writes scale-<timestamp>.json and scale-latest.json (--seed, --out,
                         --no-write, --json and --tiny apply; --tiny: 2,000 events over 50)
  --scale-events=N       events loaded in all (default 10000000)
  --scale-sessions=N     sessions they are spread over, evenly (default 100000)
  --scale-midpoint=N     the first checkpoint, in whole sessions (default a tenth of the events)
  --scale-layouts=LIST   plain,partitioned (default both)

PostgreSQL: HISTORY_PG_URL when set, otherwise an embedded server is started.`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`--${name} expects a positive integer, got ${value}`);
  return n;
}

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Writes each file into `dir`, and says where on stderr. */
async function writeResults(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(resolve(dir, name), text);
  process.stderr.write(`wrote ${Object.keys(files).join(', ')} in ${dir}\n`);
}

/** `--scale`: PostgreSQL at ten million events (see src/scale/). */
async function runScaleCli(
  values: {
    tiny?: boolean;
    seed?: string;
    json?: boolean;
    'no-write'?: boolean;
    'scale-events'?: string;
    'scale-sessions'?: string;
    'scale-midpoint'?: string;
    'scale-layouts'?: string;
  },
  command: string,
  outDir: () => string,
): Promise<number> {
  const sizes = scaleSizes(values.tiny ? SCALE_TINY : SCALE, {
    events: positiveInt('scale-events', values['scale-events']),
    sessions: positiveInt('scale-sessions', values['scale-sessions']),
    midpoint: positiveInt('scale-midpoint', values['scale-midpoint']),
    layouts: list(values['scale-layouts']),
  });
  const progress = createProgress();
  const result = await runScale({
    sizes,
    seed: positiveInt('seed', values.seed) ?? 42,
    command,
    onProgress: (p) => progress.update(p),
  }).finally(() => progress.stop());
  process.stdout.write(
    `${values.json ? JSON.stringify(result, null, 2) : renderScaleTable(result)}\n`,
  );
  if (!values['no-write']) {
    const json = `${JSON.stringify(result, null, 2)}\n`;
    const stamp = result.startedAt.replace(/[:.]/g, '-');
    await writeResults(outDir(), { [`scale-${stamp}.json`]: json, 'scale-latest.json': json });
  }
  return result.layouts.some((l) => l.error) ? 1 : 0;
}

async function main(): Promise<number> {
  // `pnpm bench -- --full` may forward the separator itself.
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args,
    options: {
      full: { type: 'boolean', default: false },
      tiny: { type: 'boolean', default: false },
      adapters: { type: 'string' },
      scenarios: { type: 'string' },
      seed: { type: 'string' },
      events: { type: 'string' },
      'deep-events': { type: 'string' },
      'batch-size': { type: 'string' },
      sessions: { type: 'string' },
      'purge-events': { type: 'string' },
      'list-sessions': { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      'scale-events': { type: 'string' },
      'scale-sessions': { type: 'string' },
      'scale-midpoint': { type: 'string' },
      'scale-layouts': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const command = `pnpm bench${args.length ? ` ${args.join(' ')}` : ''}`;
  const outDir = () =>
    values.out
      ? // pnpm runs scripts in the package folder; INIT_CWD is where the user typed the command.
        resolve(process.env.INIT_CWD ?? process.cwd(), values.out)
      : fileURLToPath(new URL('../results/', import.meta.url));
  const scaleOnly = ['scale-events', 'scale-sessions', 'scale-midpoint', 'scale-layouts'] as const;
  if (values.scale) {
    const other = (
      [
        'full',
        'adapters',
        'scenarios',
        'events',
        'deep-events',
        'batch-size',
        'sessions',
        'purge-events',
        'list-sessions',
      ] as const
    ).filter((k) => values[k] !== undefined && values[k] !== false);
    if (other.length > 0) throw new Error(`--scale does not take --${other.join(', --')}`);
    return runScaleCli(values, command, outDir);
  }
  const stray = scaleOnly.filter((k) => values[k] !== undefined);
  if (stray.length > 0) throw new Error(`--${stray.join(', --')} only apply with --scale`);

  const sizes: Sizes = { ...(values.tiny ? TINY : values.full ? FULL : QUICK) };
  const events = positiveInt('events', values.events);
  if (events !== undefined) sizes.ingestEvents = events;
  const deep = positiveInt('deep-events', values['deep-events']);
  if (deep !== undefined) sizes.deepEvents = Math.max(deep, 2 * sizes.pageSize);
  const batch = positiveInt('batch-size', values['batch-size']);
  if (batch !== undefined) sizes.batchSize = batch;
  const sessions = positiveInt('sessions', values.sessions);
  if (sessions !== undefined) sizes.ingestSessions = sessions;
  const purge = positiveInt('purge-events', values['purge-events']);
  if (purge !== undefined) sizes.purgeExpiredEvents = purge;
  const listed = positiveInt('list-sessions', values['list-sessions']);
  if (listed !== undefined) sizes.listSessions = listed;
  const seed = positiveInt('seed', values.seed) ?? 42;
  const customised =
    purge !== undefined ||
    listed !== undefined ||
    events !== undefined ||
    deep !== undefined ||
    batch !== undefined ||
    sessions !== undefined ||
    values.tiny;

  const progress = createProgress();
  const result = await runBenchmark({
    ...(values.adapters ? { adapters: list(values.adapters)! } : {}),
    ...(values.scenarios ? { scenarios: list(values.scenarios)! as Scenario[] } : {}),
    sizes,
    seed,
    mode: customised ? 'custom' : values.full ? 'full' : 'quick',
    command,
    onProgress: (p) => progress.update(p),
  }).finally(() => progress.stop());

  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : renderTable(result)}\n`);

  if (!values['no-write']) {
    const stamp = result.startedAt.replace(/[:.]/g, '-');
    await writeResults(outDir(), {
      [`${stamp}.json`]: `${JSON.stringify(result, null, 2)}\n`,
      'latest.json': `${JSON.stringify(result, null, 2)}\n`,
      'latest.svg': renderSvg(result),
    });
  }
  const failed = result.adapters.some(
    (a) => a.error || a.runs.baseline?.error || a.runs.ceiling?.error,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
