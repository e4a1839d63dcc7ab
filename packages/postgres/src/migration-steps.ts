/**
 * One statement of a no-transaction migration. `each`: the statement is a query whose rows'
 * first column are statements, each then run on its own (psql's `\gexec`): so a migration can
 * build one index per partition concurrently, which neither a DO block (a transaction) nor a
 * multi-statement query (an implicit transaction) can. `repeat`: the statement is run again
 * until it affects no row, each run its own transaction: a backfill in bounded batches.
 * `setting`: the statement was `SET name = value` (`value`: the SQL after `=`) or `RESET name`
 * (no `value`): the runner applies it, as `SET LOCAL`, to the steps after it.
 */
export interface MigrationStep {
  sql: string;
  each: boolean;
  repeat: boolean;
  setting?: { name: string; value?: string };
}

const EACH = /^-- history:each$/;
const REPEAT = /^-- history:repeat$/;
const SET = /^SET\s+([a-z_][a-z0-9_.]*)\s*(?:=|\s+TO\s)\s*(.+);$/is;
const RESET = /^RESET\s+([a-z_][a-z0-9_.]*)\s*;$/is;
/** The statements PostgreSQL refuses inside a transaction block that a migration may hold. */
const OUTSIDE_TRANSACTION =
  /^\s*(?:(?:CREATE\s+(?:UNIQUE\s+)?|DROP\s+)INDEX\s+CONCURRENTLY|REINDEX\s[^;]*\bCONCURRENTLY|ALTER\s+TABLE\s[^;]*\bDETACH\s+PARTITION\s[^;]*\bCONCURRENTLY|VACUUM)\b/i;

/**
 * Whether `sql` must run outside a transaction block (`CREATE INDEX CONCURRENTLY` and the
 * like). The runner sends such a statement alone, in autocommit, where it can set nothing for
 * it: behind a transaction pooler, a session setting (`search_path`) made before would stay on
 * another server connection. So such statements must name their schema: they come from
 * `history:each` queries that build them with `current_schema()`.
 */
export function runsOutsideTransaction(sql: string): boolean {
  return OUTSIDE_TRANSACTION.test(sql);
}

/**
 * Splits a no-transaction migration into its statements: each ends with a line ending in
 * `;` outside a `$$` body. A line `-- history:each` (`-- history:repeat`) makes the next
 * statement an `each` (`repeat`) step.
 * Comment-only and blank text between statements is dropped. Throws on a statement written
 * out that must run outside a transaction (see `runsOutsideTransaction`).
 */
export function migrationSteps(sql: string): MigrationStep[] {
  const steps: MigrationStep[] = [];
  let lines: string[] = [];
  let each = false;
  let repeat = false;
  let dollars = 0;
  for (const line of sql.split('\n')) {
    const trimmed = line.trimEnd();
    if (lines.length === 0 && (trimmed === '' || trimmed.startsWith('--'))) {
      if (EACH.test(trimmed)) each = true;
      if (REPEAT.test(trimmed)) repeat = true;
      continue;
    }
    lines.push(line);
    dollars += trimmed.split('$$').length - 1;
    if (trimmed.endsWith(';') && dollars % 2 === 0) {
      steps.push(step(lines.join('\n'), each, repeat));
      lines = [];
      each = false;
      repeat = false;
    }
  }
  if (lines.some((l) => l.trim() !== '' && !l.trim().startsWith('--')))
    throw new Error('postgres migrations: a statement does not end with ";"');
  return steps;
}

function step(sql: string, each: boolean, repeat: boolean): MigrationStep {
  if (!each && runsOutsideTransaction(sql)) {
    throw new Error(
      `postgres migrations: a statement that runs outside a transaction must be built by a -- history:each query naming its schema (current_schema()): ${sql.split('\n')[0]}`,
    );
  }
  const set = SET.exec(sql);
  if (set && !each && !repeat)
    return { sql, each, repeat, setting: { name: set[1]!, value: set[2]!.trim() } };
  const reset = RESET.exec(sql);
  if (reset && !each && !repeat) return { sql, each, repeat, setting: { name: reset[1]! } };
  return { sql, each, repeat };
}
