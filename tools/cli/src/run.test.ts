// run() end to end where no cluster is needed: help, usage errors, checks
// made before any request, and a master that is not there (a port nobody
// listens on). The commands against a running cluster are in
// test/cli.e2e.test.ts.

import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { run } from './run.js';

function capture(confirm?: (q: string) => Promise<boolean>): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: async (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    readFile: async (p: string) => {
      throw Object.assign(new Error(`no ${p}`), { code: 'ENOENT' });
    },
    confirm,
    nowMicros: () => 1,
  };
  return io;
}

/** A port that refuses connections (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('run', () => {
  it('prints help with exit 0', async () => {
    const io = capture();
    expect(await run(['help', 'scan'], {}, io)).toBe(0);
    expect(io.stdout).toContain('Usage: kdi scan TABLE');
  });

  it('prints the usage error and the top-level help for no command, exit 2', async () => {
    const io = capture();
    expect(await run([], {}, io)).toBe(2);
    expect(io.stderr).toContain('kdi: no command given');
    expect(io.stderr).toContain('Commands:');
    expect(io.stdout).toBe('');
  });

  it('refuses to drop without --yes when there is no terminal to ask, and when the answer is no', async () => {
    const io = capture();
    expect(await run(['tables', 'drop', 'web', '--master', 'http://127.0.0.1:1'], {}, io)).toBe(2);
    expect(io.stderr).toContain('pass --yes to confirm');
    const asked: string[] = [];
    const no = capture(async (q) => (asked.push(q), false));
    expect(await run(['tables', 'drop', 'web', '--master', 'http://127.0.0.1:1'], {}, no)).toBe(2);
    expect(asked[0]).toContain('Drop table web?');
    expect(no.stderr).toContain('not dropping web');
  });

  it('reports a schema file it cannot read as a usage error', async () => {
    const io = capture();
    expect(await run(['tables', 'create', 'web', '--schema', 'missing.json'], {}, io)).toBe(2);
    expect(io.stderr).toContain('cannot read the schema file "missing.json" (ENOENT)');
    const bad = capture();
    expect(await run(['tables', 'schema', 'web', '{not json'], {}, bad)).toBe(2);
    expect(bad.stderr).toContain('the schema given inline is not JSON');
  });

  it('says the cluster is not running when nothing listens at the master URL, exit 3', async () => {
    const master = `http://127.0.0.1:${await closedPort()}`;
    const io = capture();
    expect(await run(['tables', 'ls'], { KDI_MASTER: master }, io)).toBe(3);
    expect(io.stderr).toContain(`cannot reach the KDI master at ${master} (ECONNREFUSED)`);
    expect(io.stderr).toContain('npm start');
  });
});
