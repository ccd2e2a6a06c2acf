// The command line as a person types it, to what kdi will do — and every
// mistake a usage error that names the command to look up.

import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './parse-command-line.js';
import { UsageError } from './usage-error.js';

const parse = (line: string[], env = {}) => parseCommandLine(line, env);

function usage(line: string[]): UsageError {
  try {
    parse(line);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`parsed: ${line.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('reads every command with its arguments', () => {
    expect(parse(['tables', 'ls']).command).toEqual({ name: 'tables ls' });
    expect(parse(['tables', 'create', 'web', '--split', 'g', '--split=p', '--schema', 's.json']).command).toEqual({
      name: 'tables create',
      table: 'web',
      splits: ['g', 'p'],
      schema: 's.json',
    });
    expect(parse(['tables', 'drop', 'web', '-y']).command).toEqual({ name: 'tables drop', table: 'web', yes: true });
    expect(parse(['tables', 'schema', 'web']).command).toEqual({ name: 'tables schema', table: 'web', schema: undefined });
    expect(parse(['tables', 'schema', 'web', '{"groups":[]}']).command).toEqual({ name: 'tables schema', table: 'web', schema: '{"groups":[]}' });
    expect(parse(['put', 'web', 'r1', 'c:x', 'hello world', '--timestamp', '42']).command).toEqual({
      name: 'put',
      table: 'web',
      row: 'r1',
      column: 'c:x',
      value: 'hello world',
      timestamp: 42,
    });
    expect(parse(['get', 'web', 'r1']).command).toEqual({ name: 'get', table: 'web', row: 'r1', column: undefined });
    expect(parse(['get', 'web', 'r1', 'c:x']).command).toEqual({ name: 'get', table: 'web', row: 'r1', column: 'c:x' });
    expect(parse(['erase', 'web', 'r1', 'c:x']).command).toEqual({ name: 'erase', table: 'web', row: 'r1', column: 'c:x', timestamp: undefined });
    expect(parse(['scan', 'web', '-p', "row ~= 'com'", '--format', 'tsv', '--limit', '10']).command).toEqual({
      name: 'scan',
      table: 'web',
      predicate: "row ~= 'com'",
      format: 'tsv',
      limit: 10,
    });
    expect(parse(['servers']).command).toEqual({ name: 'servers' });
    expect(parse(['tablets', 'web']).command).toEqual({ name: 'tablets', table: 'web' });
    expect(parse(['events', '--limit', '5']).command).toEqual({ name: 'events', limit: 5 });
    expect(parse(['move', 'web-1']).command).toEqual({ name: 'move', tabletId: 'web-1', to: undefined, wait: true });
    expect(parse(['move', 'web-1', '--to', 'ts-2', '--no-wait']).command).toEqual({ name: 'move', tabletId: 'web-1', to: 'ts-2', wait: false });
    expect(parse(['migrations']).command).toEqual({ name: 'migrations' });
    expect(parse(['balance']).command).toEqual({ name: 'balance', dryRun: false });
    expect(parse(['balance', '--dry-run', '--json']).command).toEqual({ name: 'balance', dryRun: true });
    expect(parse(['drain', 'ts-3']).command).toEqual({ name: 'drain', serverId: 'ts-3', undo: false });
    expect(parse(['drain', 'ts-3', '--undo']).command).toEqual({ name: 'drain', serverId: 'ts-3', undo: true });
  });

  it('takes global options before or after the command, flags over the environment over the default', () => {
    expect(parse(['servers']).global).toEqual({ master: 'http://127.0.0.1:7000', token: undefined, json: false });
    expect(parse(['servers'], { KDI_MASTER: 'http://m:1/', KDI_TOKEN: 't' }).global).toEqual({ master: 'http://m:1', token: 't', json: false });
    expect(parse(['--master', 'http://a:2', 'servers', '--json', '--token=x'], { KDI_MASTER: 'http://m:1' }).global).toEqual({ master: 'http://a:2', token: 'x', json: true });
    expect(parse(['--json', 'tables', 'ls']).global.json).toBe(true);
  });

  it('scans in json with --json unless --format says otherwise', () => {
    expect(parse(['scan', 'web', '--json']).command).toMatchObject({ format: 'json' });
    expect(parse(['scan', 'web', '--json', '--format', 'tuple']).command).toMatchObject({ format: 'tuple' });
    expect(parse(['scan', 'web']).command).toMatchObject({ format: 'tuple' });
  });

  it('lets a value start with a dash after --', () => {
    expect(parse(['put', 'web', 'r', 'c', '--', '-1']).command).toMatchObject({ value: '-1' });
  });

  it('turns --help, -h and help into help topics', () => {
    expect(parse(['--help']).command).toEqual({ name: 'help', topic: '' });
    expect(parse(['help']).command).toEqual({ name: 'help', topic: '' });
    expect(parse(['help', 'tables', 'create']).command).toEqual({ name: 'help', topic: 'tables create' });
    expect(parse(['tables', 'create', '--help']).command).toEqual({ name: 'help', topic: 'tables create' });
    expect(parse(['scan', '-h']).command).toEqual({ name: 'help', topic: 'scan' });
    expect(parse(['tables', '--help']).command).toEqual({ name: 'help', topic: 'tables' });
  });

  it('reports mistakes as usage errors naming the command', () => {
    expect(usage([]).message).toBe('no command given');
    expect(usage(['frobnicate']).message).toContain('unknown command "frobnicate"');
    expect(usage(['tables']).message).toBe('tables needs a sub-command: ls, create, drop, schema');
    expect(usage(['tables', 'rm', 'x']).message).toContain('unknown sub-command "rm" of tables');
    const missing = usage(['put', 'web', 'r']);
    expect([missing.message, missing.command]).toEqual(['put needs COLUMN VALUE', 'put']);
    expect(usage(['get', 'web', 'r', 'c', 'extra']).message).toContain('unexpected "extra"');
    expect(usage(['scan', 'web', '--limt', '3']).message).toContain("Unknown option '--limt'");
    expect(usage(['scan', 'web', '--limit']).message).toContain('--limit');
  });

  it('checks names, numbers, formats, predicates and URLs before any request', () => {
    expect(usage(['tablets', 'a/b']).message).toContain('table name "a/b" is not valid');
    expect(usage(['move', '..']).message).toContain('tablet id ".." is not valid');
    expect(usage(['move', 't1', '--to', 'a b']).message).toContain('--to "a b" is not valid');
    expect(usage(['move']).message).toBe('move needs TABLET');
    expect(usage(['drain', 'x/y']).message).toContain('server id "x/y" is not valid');
    expect(usage(['balance', '--dryrun']).message).toContain("Unknown option '--dryrun'");
    expect(usage(['put', 'web', 'r', 'c', 'v', '--timestamp', 'soon']).message).toContain('--timestamp "soon" is not an integer');
    expect(usage(['events', '--limit', '0']).message).toContain('--limit "0" is not a positive integer');
    expect(usage(['scan', 'web', '--format', 'xml']).message).toContain('not one of tuple, json, tsv');
    expect(usage(['scan', 'web', '-p', 'row ~=']).message).toContain('the predicate is not valid');
    expect(usage(['servers', '--master', 'localhost:7000']).message).toContain('--master "localhost:7000" is not an http(s) URL');
    expect(() => parse(['servers'], { KDI_MASTER: 'nope' })).toThrow(/KDI_MASTER "nope"/);
  });
});
