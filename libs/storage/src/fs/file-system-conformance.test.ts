import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFileSystemConformance } from './file-system-conformance.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { NodeFileSystem } from './node-file-system.js';

describeFileSystemConformance('MemoryFileSystem', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/root');
  return { fs, root: '/root', cleanup: async () => undefined };
});

describeFileSystemConformance('NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kdi-fs-'));
  return { fs: new NodeFileSystem(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
});

describeFileSystemConformance('FaultyFileSystem over memory, no rules', async () => {
  const inner = new MemoryFileSystem();
  await inner.mkdir('/r');
  return { fs: new FaultyFileSystem(inner), root: '/r', cleanup: async () => undefined };
});
