// runService and the process launcher together, on a real child process:
// the listening line is the only stdout, logs are JSON on stderr, SIGTERM
// closes the app then the closers in order and exits 0, and bad
// configuration exits 2 naming every bad setting.

import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startServiceProcess } from '../src/testing/index.js';

const MAIN = fileURLToPath(new URL('./fixture-service.ts', import.meta.url));

describe('runService', () => {
  it('prints one listening line, logs on stderr, and closes in order on SIGTERM', async () => {
    const p = await startServiceProcess({ main: MAIN, env: { FIXTURE_PORT: '0', FIXTURE_LOG_LEVEL: 'info' }, name: 'fixture' });
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(p.listening).toEqual({ event: 'listening', url: p.url, extra: 'yes', port: new URL(p.url).port });
    const r = await fetch(`${p.url}/healthz`, { headers: { 'x-request-id': 'fixture-1' } });
    expect(await r.json()).toEqual({ status: 'ok' });
    expect(r.headers.get('x-request-id')).toBe('fixture-1');
    expect(await p.stop()).toEqual({ code: 0, signal: null });
    expect(p.stdout().trim().split('\n')).toEqual([JSON.stringify(p.listening)]);
    const logs = p
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg?: string; requestId?: string });
    expect(logs.some((l) => l.requestId === 'fixture-1')).toBe(true);
    const order = logs.map((l) => l.msg).filter((m) => m === 'shutting down' || m === 'closer 1' || m === 'closer 2');
    expect(order).toEqual(['shutting down', 'closer 1', 'closer 2']);
  });

  it('exits 2 naming every bad setting, on stderr only', async () => {
    const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', MAIN], {
      env: { PATH: process.env.PATH ?? '', FIXTURE_PORT: 'eighty', FIXTURE_LOG_LEVEL: 'chatty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/FIXTURE_PORT: "eighty" is not a whole number/);
    expect(stderr).toMatch(/FIXTURE_LOG_LEVEL: must be one of/);
    expect(stdout).toBe('');
  });

  it('the launcher reports a process that exits before listening, with its output', async () => {
    await expect(startServiceProcess({ main: MAIN, env: { FIXTURE_PORT: 'x' }, name: 'fixture' })).rejects.toThrow(/fixture exited with 2 before listening:[\s\S]*FIXTURE_PORT/);
  });
});
