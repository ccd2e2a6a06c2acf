// Test support: the file systems the fragment suites run on (DESIGN's
// "storage conformance suite run on the in-memory and the Node
// filesystem"). Node temp dirs are created and removed through the
// FileSystem port itself.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { FileSystem } from '../fs/file-system.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { NodeFileSystem } from '../fs/node-file-system.js';

export interface FsFixture {
  readonly fs: FileSystem;
  /** An empty directory for the test's files. */
  readonly root: string;
  cleanup(): Promise<void>;
}

export interface FsUnderTest {
  readonly name: string;
  make(): Promise<FsFixture>;
}

export const fileSystemsUnderTest: readonly FsUnderTest[] = [
  {
    name: 'MemoryFileSystem',
    async make() {
      const fs = new MemoryFileSystem();
      await fs.mkdir('/t');
      return { fs, root: '/t', cleanup: async () => undefined };
    },
  },
  {
    name: 'NodeFileSystem',
    async make() {
      const fs = new NodeFileSystem();
      const root = `${tmpdir()}/kdi-fragment-${randomBytes(6).toString('hex')}`;
      await fs.mkdir(root);
      return {
        fs,
        root,
        async cleanup() {
          for (const name of await fs.list(root)) await fs.unlink(`${root}/${name}`);
          await fs.rmdir(root);
        },
      };
    },
  },
];
