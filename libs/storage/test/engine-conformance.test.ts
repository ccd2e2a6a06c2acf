import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { afterAll } from 'vitest';
import { FragmentWorkerPool } from '../src/workers/fragment-worker-pool.js';
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

// Serialization and compaction on worker threads must give the same answers.
const pool = new FragmentWorkerPool(2);
afterAll(() => pool.close());
describeEngineConformance('the Node filesystem with worker threads', {
  async make() {
    const root = await mkdtemp(join(tmpdir(), 'kdi-engine-w-'));
    return { fs: new NodeFileSystem(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  engineOptions: { workers: pool },
});
