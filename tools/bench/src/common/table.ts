// Plain-text tables for the human half of a benchmark's output.

export type Align = 'left' | 'right';

export interface Column {
  readonly title: string;
  readonly align: Align;
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const header = line(columns.map((c) => c.title));
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [header, rule, ...rows.map(line)].join('\n');
}

/** 1234567 → "1,234,567"; fractions below 100 keep one decimal. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const digits = Math.abs(x) < 100 ? 1 : 0;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A count with thousands separators: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

export function formatRatio(r: number): string {
  return `${r.toFixed(2)}x`;
}
