/**
 * Where an adapter's README option table disagrees with its defaults object, one line each
 * (empty when they agree). A row names one option in its first cell (`` `maxOpenFiles` ``) and
 * states its default in the second as the first backquoted literal there: a number written
 * without separators (`` `8192` ``), a quoted string (`` `'os'` ``), `` `true` `` or
 * `` `false` ``. `spelled` gives the words of a default no literal states
 * (`{ copyThreshold: 'off' }` for `Infinity`): the cell must then be exactly those words.
 */
export function documentedDefaultProblems(
  readme: string,
  defaults: Readonly<Record<string, unknown>>,
  spelled: Readonly<Record<string, string>> = {},
): string[] {
  const cells = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const [name, cell] = line.split('|').slice(1, 3);
    const option = name?.trim().match(/^`(\w+)`$/)?.[1];
    if (option !== undefined && cell !== undefined) cells.set(option, cell.trim());
  }
  const problems: string[] = [];
  for (const [option, value] of Object.entries(defaults)) {
    const cell = cells.get(option);
    if (cell === undefined) {
      problems.push(`${option}: no row in the README's option table`);
    } else if (option in spelled ? cell !== spelled[option] : statedValue(cell) !== value) {
      problems.push(`${option}: the README says ${cell}, the defaults object ${String(value)}`);
    }
  }
  return problems;
}

/** The first backquoted literal of a table cell, or undefined when there is none. */
function statedValue(cell: string): unknown {
  for (const [, text] of cell.matchAll(/`([^`]*)`/g)) {
    if (text === undefined) continue;
    if (/^-?\d+$/.test(text)) return Number(text);
    if (/^'[^']*'$/.test(text)) return text.slice(1, -1);
    if (text === 'true' || text === 'false') return text === 'true';
  }
  return undefined;
}
