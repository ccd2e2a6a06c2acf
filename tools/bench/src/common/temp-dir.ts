// A fresh directory under os.tmpdir() for a benchmark's data, removed when
// the benchmark ends — also on Ctrl-C, so aborted runs leave nothing behind.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes a subdirectory (one store's data) as soon as it is no longer needed. */
  removeChild(name: string): Promise<void>;
  remove(): Promise<void>;
}

export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(path, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    path,
    removeChild: (name) => rm(join(path, name), { recursive: true, force: true }),
    async remove() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await rm(path, { recursive: true, force: true });
    },
  };
}
