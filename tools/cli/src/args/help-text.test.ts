// Help is generated from the command table: every command is listed at the
// top level and has its own page with its options and examples.

import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands.js';
import { helpText } from './help-text.js';

describe('helpText', () => {
  it('lists every command, the global options and the exit codes at the top level', () => {
    const text = helpText('');
    for (const c of COMMANDS) expect(text).toContain(`  ${c.name}`);
    expect(text).toContain('--master URL');
    expect(text).toMatch(/3 {2}the cluster cannot be reached/);
  });

  it('gives each command a page with its usage, options and examples', () => {
    const create = helpText('tables create');
    expect(create).toContain('Usage: kdi tables create TABLE [--split ROW ...] [--schema FILE|JSON]');
    expect(create).toContain('--split ROW');
    expect(create).toContain('kdi tables create webtable --split g --split p');
    expect(helpText('scan')).toContain('-p, --predicate PRED');
    expect(helpText('tables')).toContain('kdi tables drop TABLE [--yes]');
  });

  it('refuses a topic that is not a command', () => {
    expect(() => helpText('nope')).toThrow(/not a command/);
  });
});
