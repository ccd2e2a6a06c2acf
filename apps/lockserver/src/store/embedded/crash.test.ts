// A real crash: a child process changes the embedded store as fast as it
// can and is killed with SIGKILL mid-stream, twice. Every change it
// acknowledged must be there after reopening, with its generation, and the
// counter must start above every revision it handed out (grants included).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EmbeddedLockStore } from './embedded-lock-store.js';

const WRITER = fileURLToPath(new URL('./testing/crash-writer.ts', import.meta.url));

interface Acknowledged {
  readonly files: Map<string, number>;
  counter: { value: number; generation: number } | undefined;
  readonly revisions: number[];
  pid: number;
}

/** Runs the writer until it acknowledged `changes` lines, then SIGKILLs it. */
function runAndKill(dataDir: string, changes: number): Promise<Acknowledged> {
  const acked: Acknowledged = { files: new Map(), counter: undefined, revisions: [], pid: 0 };
  const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', WRITER, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  acked.pid = child.pid ?? 0;
  let stderr = '';
  let buffered = '';
  let lines = 0;
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'file' && a && b) acked.files.set(a, Number(b));
        if (kind === 'counter' && a && b) acked.counter = { value: Number(a), generation: Number(b) };
        if (kind === 'grant' && a) acked.revisions.push(Number(a));
        if (b) acked.revisions.push(Number(b));
        lines += 1;
      }
      if (lines >= changes && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`the writer exited with ${code ?? signal} before it was killed: ${stderr}`));
    });
  });
}

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kdi-lock-crash-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

it('keeps every acknowledged change and never lowers the counter across SIGKILLs', { timeout: 60_000 }, async () => {
  const runs = [await runAndKill(dataDir, 150), await runAndKill(dataDir, 150)];
  const store = await EmbeddedLockStore.open({ dataDir });
  try {
    for (const run of runs) {
      expect(run.files.size).toBeGreaterThan(10);
      for (const [path, generation] of run.files) expect((await store.getFile(path)).value.generation).toBe(generation);
      const counter = run.counter;
      if (!counter) throw new Error('the writer acknowledged no counter change');
      // The change after the last acknowledged one may have reached the disk
      // before the kill; nothing acknowledged may be missing.
      const read = await store.getFile(`/counter-${run.pid}`);
      expect(Number(new TextDecoder().decode(read.value.contents))).toBeGreaterThanOrEqual(counter.value);
      expect(read.value.generation).toBeGreaterThanOrEqual(counter.generation);
    }
    const handedOut = Math.max(...runs.flatMap((r) => r.revisions));
    expect((await store.status()).revision).toBeGreaterThan(handedOut);
    expect(Math.min(...runs[1]!.revisions)).toBeGreaterThan(Math.max(...runs[0]!.revisions));
  } finally {
    await store.close();
  }
});
