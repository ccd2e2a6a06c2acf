// Byte counts as a person reads them, in binary units: 0 B, 999 B, 1.5 KiB,
// 12.3 MiB, 256 GiB — three significant digits at most, trailing zeros
// dropped, negatives shown as 0 B. One formatter for the CLI, the
// planners' explanations and the servers' messages, so a figure reads the
// same everywhere.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (!(n >= 1024)) return `${Math.max(0, Math.round(Number.isFinite(n) ? n : 0))} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : Number(v.toFixed(v >= 10 ? 1 : 2))} ${UNITS[u]}`;
}
