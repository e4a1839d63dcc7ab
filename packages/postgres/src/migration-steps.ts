/**
 * One statement of a no-transaction migration. `each`: the statement is a query whose rows'
 * first column are statements, each then run on its own (psql's `\gexec`): so a migration can
 * build one index per partition concurrently, which neither a DO block (a transaction) nor a
 * multi-statement query (an implicit transaction) can. `repeat`: the statement is run again
 * until it affects no row, each run its own transaction: a backfill in bounded batches.
 */
export interface MigrationStep {
  sql: string;
  each: boolean;
  repeat: boolean;
}

const EACH = /^-- history:each$/;
const REPEAT = /^-- history:repeat$/;

/**
 * Splits a no-transaction migration into its statements: each ends with a line ending in
 * `;` outside a `$$` body. A line `-- history:each` (`-- history:repeat`) makes the next
 * statement an `each` (`repeat`) step.
 * Comment-only and blank text between statements is dropped.
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
      steps.push({ sql: lines.join('\n'), each, repeat });
      lines = [];
      each = false;
      repeat = false;
    }
  }
  if (lines.some((l) => l.trim() !== '' && !l.trim().startsWith('--')))
    throw new Error('postgres migrations: a statement does not end with ";"');
  return steps;
}
