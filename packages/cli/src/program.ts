import { createRequire } from 'node:module';
import { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { catCommand } from './commands/cat.js';
import { copyCommand } from './commands/copy.js';
import { deleteCommand } from './commands/delete.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { migrateCommand } from './commands/migrate.js';
import { purgeCommand } from './commands/purge.js';
import { sessionsCommand } from './commands/sessions.js';
import { statsCommand } from './commands/stats.js';
import { tailCommand } from './commands/tail.js';
import { verifyCommand } from './commands/verify.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The `history` command and its subcommands, writing through `ctx`. */
export function createProgram(ctx: CommandContext): Command {
  const program = new Command('history')
    .description('Look inside, move and repair History Stores (file, SQLite, PostgreSQL).')
    .version(version, '-V, --version')
    .option('--verbose', 'on errors, print the stack and causes too')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  for (const command of [
    migrateCommand(ctx),
    sessionsCommand(ctx),
    catCommand(ctx),
    tailCommand(ctx),
    exportCommand(ctx),
    importCommand(ctx),
    copyCommand(ctx),
    statsCommand(ctx),
    verifyCommand(ctx),
    purgeCommand(ctx),
    deleteCommand(ctx),
  ]) {
    program.addCommand(command);
  }
  program.addHelpText(
    'after',
    `
Stores are named by URL (--store, or HISTORY_STORE):
  file:./history            a directory of JSONL files (@history/file); file:///abs/path
  sqlite:./history.db       a SQLite database (@history/sqlite); sqlite:///abs/path.db
  postgres://user:pass@host:5432/db?schema=history
                            PostgreSQL (@history/postgres); schema defaults to "history", the
                            other parameters (sslmode, connect_timeout, ...) go to pg
The adapter packages are optional: install the ones you use beside @history/cli.

Output: tables and text on a terminal, --json for scripts; progress on stderr (a bar on a
terminal, a line every few seconds otherwise). Errors: one line on stderr (--verbose: the
stack too).

Exit codes: 0 done; 1 failed, or found problems (verify) or refused sessions (copy);
2 bad arguments, bad store URL or adapter not installed; 130 interrupted (Ctrl-C, SIGTERM).

Examples:
  history migrate --store 'postgres://app@db/app?schema=history'
  history sessions --store sqlite:./history.db --prefix chat-
  history cat chat-42 --store sqlite:./history.db --limit 20
  history tail --all --store file:./history
  history export --store sqlite:./history.db -o backup.jsonl.gz
  history copy sqlite:./history.db 'postgres://app@db/app?schema=history'
  history verify --store file:./history`,
  );
  return program;
}
