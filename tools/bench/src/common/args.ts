// Command-line flags shared by the benchmarks: `--quick`, `--out FILE`,
// `--help`, plus numeric overrides each bench declares. Unknown flags are an
// error so a typo never silently runs the default (long) size.

import { resolve } from 'node:path';

export interface FlagSpec {
  /** Flag name without the leading dashes. */
  readonly name: string;
  readonly kind: 'boolean' | 'string' | 'integer';
  readonly help: string;
}

export type ParsedFlags = Map<string, string | number | boolean>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'quick', kind: 'boolean', help: 'small sizes; the whole run takes under a minute' },
  { name: 'out', kind: 'string', help: 'write the JSON report (DESIGN §17) to FILE' },
  { name: 'help', kind: 'boolean', help: 'print this help' },
];

/** Parses `argv` (without node and script) against `specs`; `--name=value` and `--name value` both work. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedFlags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out.set(name, true);
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined || raw === '') throw new UsageError(`--${name} needs a value`);
    if (spec.kind === 'integer') {
      const n = Number(raw.replaceAll('_', ''));
      if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
      out.set(name, n);
    } else {
      out.set(name, raw);
    }
  }
  return out;
}

export function usage(command: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: ${command} [flags]`, ''];
  for (const s of specs) {
    const left = s.kind === 'boolean' ? `--${s.name}` : `--${s.name} ${s.kind === 'integer' ? 'N' : 'FILE'}`;
    lines.push(`  ${left.padEnd(22)} ${s.help}`);
  }
  return lines.join('\n');
}

export function flagBoolean(flags: ParsedFlags, name: string): boolean {
  return flags.get(name) === true;
}

export function flagString(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagInteger(flags: ParsedFlags, name: string): number | undefined {
  const v = flags.get(name);
  return typeof v === 'number' ? v : undefined;
}

/**
 * The --out file as an absolute path. npm runs the scripts inside
 * tools/bench; a relative --out is meant from where npm was invoked
 * (INIT_CWD), an absolute one as it is.
 */
export function flagOutPath(flags: ParsedFlags): string | undefined {
  const out = flagString(flags, 'out');
  return out === undefined ? undefined : resolve(process.env['INIT_CWD'] ?? process.cwd(), out);
}
