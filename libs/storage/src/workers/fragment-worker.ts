// Worker-thread entry: runs FragmentBuildTasks with the real filesystem and
// answers { id, result } or { id, error: { kind, message, path } }.

import { parentPort } from 'node:worker_threads';
import { StorageError } from '../errors.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { type FragmentBuildTask, runFragmentBuild } from './fragment-build.js';

const fs = new NodeFileSystem();

parentPort!.on('message', (msg: { id: number; task: FragmentBuildTask }) => {
  runFragmentBuild(fs, msg.task).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) =>
      parentPort!.postMessage({
        id: msg.id,
        error: {
          kind: e instanceof StorageError ? e.kind : 'io',
          message: e instanceof Error ? e.message : String(e),
          path: e instanceof StorageError ? e.path : undefined,
        },
      }),
  );
});
