import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { describeEngineConformance } from './engine-conformance.js';

describeEngineConformance('the in-memory filesystem', {
  async make() {
    return { fs: new MemoryFileSystem(), root: '/data', cleanup: async () => {} };
  },
});

describeEngineConformance('the Node filesystem', {
  async make() {
    const root = await mkdtemp(join(tmpdir(), 'kdi-engine-'));
    return { fs: new NodeFileSystem(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
});
