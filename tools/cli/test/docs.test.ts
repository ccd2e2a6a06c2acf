// The CLI's documents say what the command table defines (like tools/ci's
// drift checks for the servers): every command, each of its options and
// every exit status are in tools/cli/README.md, and every command is in
// docs/operations.md.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_OPTIONS } from '../src/args/commands.js';
import { EXIT } from '../src/exit-codes.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the CLI docs', () => {
  const readme = read('../README.md');
  const operations = read('../../../docs/operations.md');

  it('README.md has a section per command naming each option, and every global option', () => {
    for (const c of COMMANDS) {
      expect(readme, c.name).toContain(`### \`kdi ${c.name}`);
      for (const o of Object.keys(c.options)) expect(readme, `${c.name} --${o}`).toContain(`--${o}`);
    }
    for (const o of Object.keys(GLOBAL_OPTIONS)) expect(readme).toContain(`--${o}`);
    expect(readme).toContain('KDI_MASTER');
    expect(readme).toContain('KDI_TOKEN');
  });

  it('README.md documents every exit status', () => {
    for (const status of Object.values(EXIT)) expect(readme).toMatch(new RegExp(`^\\| ${status} \\|`, 'm'));
  });

  it('docs/operations.md lists every command', () => {
    for (const c of COMMANDS) expect(operations, c.name).toContain(`\`kdi ${c.name}`);
  });
});
