// Aligned columns for human output: a header row in capitals, quantities
// (numbers, sizes such as "1.5 KiB", rates, '-' for none) right-aligned,
// every other column left-aligned, two spaces between, no trailing
// blanks. An empty table prints only its header.

export type TableCell = string | number;

const QUANTITY = /^(-|[0-9][0-9.]*( B| [KMGTPE]iB)?)$/;
const isQuantity = (c: TableCell | undefined) => typeof c === 'number' || (typeof c === 'string' && QUANTITY.test(c));

export function textTable(headers: readonly string[], rows: readonly (readonly TableCell[])[]): string {
  const text = rows.map((r) => headers.map((_, i) => String(r[i] ?? '')));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => isQuantity(r[i])) && rows.some((r) => r[i] !== '-'));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n');
}
