export interface Column {
  header: string;
  /** Numbers read better right-aligned. */
  align?: 'left' | 'right';
}

/**
 * Rows as aligned text columns under a header line, two spaces apart. `widths`, when given,
 * are the least widths (a listing printed in chunks keeps its first chunk's columns); the
 * widths used are returned for the next chunk. The last column is never padded.
 */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: { header?: boolean; widths?: readonly number[] } = {},
): { text: string; widths: number[] } {
  const header = options.header ?? true;
  const widths = columns.map((c, i) =>
    Math.max(
      options.widths?.[i] ?? 0,
      header ? c.header.length : 0,
      ...rows.map((r) => (r[i] ?? '').length),
    ),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1 && columns[i]?.align !== 'right') return cell;
        return columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ');
  const lines = rows.map(line);
  if (header) lines.unshift(line(columns.map((c) => c.header)));
  return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, widths };
}
