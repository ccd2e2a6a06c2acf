// `kdi`'s command line to an Invocation, with node:util parseArgs (a real
// parser: --opt=value, --opt value, -p value, repeated options, `--` ends
// options). Pure: the environment is passed in, nothing is printed.
//
// Global options (--master, --token, --json, --help) may come before or
// after the command words. The words are found with a lenient first pass
// over the global options; the command's own options and arguments are
// then parsed strictly, so an unknown option or a missing argument is a
// UsageError naming the command whose help shows how to write it.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as check from './checks.js';
import { COMMANDS, findCommand, GLOBAL_OPTIONS, GROUPS, type CommandSpec, type OptionSpec, type OptionValues } from './commands.js';
import type { GlobalOptions, Invocation } from './invocation.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_MASTER = 'http://127.0.0.1:7000';

export interface Environment {
  readonly KDI_MASTER?: string | undefined;
  readonly KDI_TOKEN?: string | undefined;
}

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

function toParseOptions(specs: Readonly<Record<string, OptionSpec>>): ParseOptions {
  const out: ParseOptions = {};
  for (const [name, o] of Object.entries(specs)) out[name] = { type: o.type, ...(o.short !== undefined && { short: o.short }), ...(o.multiple === true && { multiple: true }) };
  return out;
}

export function parseCommandLine(argv: readonly string[], env: Environment): Invocation {
  // Pass 1: find the command words (the first one or two positionals).
  const loose = parseArgs({ args: [...argv], options: toParseOptions(GLOBAL_OPTIONS), strict: false, allowPositionals: true, tokens: true });
  const words = loose.tokens.filter((t) => t.kind === 'positional');
  const first = words[0]?.value;
  const wantsHelp = loose.values['help'] === true;

  if (first === undefined) {
    if (wantsHelp) return { global: globals({}, env), command: { name: 'help', topic: '' } };
    throw new UsageError('no command given');
  }
  if (first === 'help') {
    return {
      global: globals({}, env),
      command: {
        name: 'help',
        topic: words
          .slice(1)
          .map((w) => w.value)
          .join(' '),
      },
    };
  }
  const isGroup = (GROUPS as readonly string[]).includes(first);
  const second = isGroup ? words[1]?.value : undefined;
  if (isGroup && second === undefined) {
    if (wantsHelp) return { global: globals({}, env), command: { name: 'help', topic: first } };
    throw new UsageError(`${first} needs a sub-command: ${subcommands(first).join(', ')}`, first);
  }
  const name = isGroup ? `${first} ${second}` : first;
  const spec = findCommand(name);
  if (spec === undefined) {
    throw isGroup
      ? new UsageError(`unknown sub-command ${JSON.stringify(second)} of ${first}: use one of ${subcommands(first).join(', ')}`, first)
      : new UsageError(`unknown command ${JSON.stringify(first)}`);
  }
  if (wantsHelp) return { global: globals({}, env), command: { name: 'help', topic: spec.name } };

  // Pass 2: the command's own options and arguments, strictly.
  const skip = new Set(words.slice(0, isGroup ? 2 : 1).map((w) => w.index));
  const rest = argv.filter((_, i) => !skip.has(i));
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: toParseOptions({ ...GLOBAL_OPTIONS, ...spec.options }), strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    throw new UsageError(parseArgsMessage(e), spec.name);
  }
  const args = checkArgCount(spec, parsed.positionals);
  const global = globals(parsed.values, env);
  return { global, command: spec.build(args, parsed.values, global.json) };
}

function globals(values: OptionValues, env: Environment): GlobalOptions {
  const flag = typeof values['master'] === 'string' ? values['master'] : undefined;
  const master = flag !== undefined ? check.masterUrl(flag, '--master') : env.KDI_MASTER ? check.masterUrl(env.KDI_MASTER, 'KDI_MASTER') : DEFAULT_MASTER;
  const token = typeof values['token'] === 'string' ? values['token'] : env.KDI_TOKEN || undefined;
  return { master, token, json: values['json'] === true };
}

function checkArgCount(spec: CommandSpec, given: readonly string[]): string[] {
  const required = spec.args.filter((a) => !a.endsWith('?'));
  if (given.length < required.length) {
    const missing = required.slice(given.length).join(' ');
    throw new UsageError(`${spec.name} needs ${missing}`, spec.name);
  }
  if (given.length > spec.args.length) {
    throw new UsageError(`${spec.name} takes ${usageArgs(spec) || 'no arguments'}, but got ${given.length}: unexpected ${JSON.stringify(given[spec.args.length])}`, spec.name);
  }
  return [...given];
}

export function usageArgs(spec: CommandSpec): string {
  return spec.args.map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a)).join(' ');
}

export function subcommands(group: string): string[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
}

/** parseArgs' errors, without Node's "To specify a positional argument…" tail. */
function parseArgsMessage(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return message.split('. To specify')[0]!.replace(/\.$/, '');
  throw e;
}
