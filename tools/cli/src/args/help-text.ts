// `kdi help`, `kdi --help` and `kdi COMMAND --help`, rendered from the
// command table (commands.ts), so help and parser never disagree.

import { COMMANDS, findCommand, GLOBAL_OPTIONS, GROUPS, type CommandSpec, type OptionSpec } from './commands.js';
import { DEFAULT_MASTER, subcommands, usageArgs } from './parse-command-line.js';
import { UsageError } from './usage-error.js';

const EXIT_CODES = [
  '  0  ok',
  '  1  the cluster answered with an error (its code is printed, e.g. ALREADY_EXISTS)',
  '  2  usage error (unknown command or option, missing or bad argument)',
  '  3  the cluster cannot be reached (is it running? start it with npm start)',
  '  4  not found (unknown table, tablet or server, or no cell for get / erase)',
  '  5  the move kdi move or kdi disk-migrate waited for was aborted or failed (the tablet stays where it was)',
];

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short !== undefined ? `-${o.short}, ` : '    '}--${name}${o.value !== undefined ? ` ${o.value}` : ''}`;
    return [flag, o.help + (o.multiple === true ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

function usageLine(spec: CommandSpec): string {
  const opts = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.required === true && o.short !== undefined ? `-${o.short}` : `--${name}`}${o.value !== undefined ? ` ${o.value}` : ''}${o.multiple === true ? ' ...' : ''}`;
    return o.required === true ? flag : `[${flag}]`;
  });
  return ['kdi', spec.name, usageArgs(spec), ...opts].filter((s) => s !== '').join(' ');
}

export function rootHelp(): string {
  const rows = COMMANDS.map((c) => [`${c.name} ${usageArgs(c)}`.trim(), c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    'kdi — the command line of KDI, a Bigtable-style table store',
    '',
    'Usage: kdi [--master URL] [--token TOKEN] [--json] COMMAND [ARGS] [OPTIONS]',
    '',
    'Commands:',
    ...rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}`),
    `  ${'help [COMMAND]'.padEnd(width)}  Show help for a command`,
    '',
    'Global options (before or after the command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit status:',
    ...EXIT_CODES,
    '',
    `The master defaults to ${DEFAULT_MASTER}, where npm start runs it. Data commands read and write`,
    'the tablet servers directly (the master only says where META is).',
    "Run `kdi help COMMAND` (e.g. `kdi help tables create`) for a command's options and examples.",
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  return [
    `Usage: ${usageLine(spec)}`,
    '',
    spec.summary + '.',
    ...(spec.description !== undefined ? ['', spec.description] : []),
    ...(Object.keys(spec.options).length > 0 ? ['', 'Options:', ...optionLines(spec.options)] : []),
    '',
    'Global options: --master URL, --token TOKEN, --json, -h/--help (see kdi help)',
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n');
}

function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [
    `Usage: kdi ${group} ${subcommands(group).join('|')} ...`,
    '',
    ...specs.map((s) => `  ${usageLine(s)}\n      ${s.summary}`),
    '',
    `Run \`kdi help ${group} SUB\` for details.`,
  ].join('\n');
}

/** The help text of `topic` ('' for the top level); UsageError for an unknown topic. */
export function helpText(topic: string): string {
  if (topic === '') return rootHelp();
  if ((GROUPS as readonly string[]).includes(topic)) return groupHelp(topic);
  const spec = findCommand(topic);
  if (spec === undefined) throw new UsageError(`no help for ${JSON.stringify(topic)}: it is not a command`);
  return commandHelp(spec);
}
