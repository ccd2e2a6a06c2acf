// The tablet server process: the only place that reads process.env,
// listens and handles signals (DESIGN §16).
//
// It builds the node with createTabletNode (node/tablet-node.ts, the one
// composition the tests use too) over the real filesystem (fdatasync, LZ4
// blocks, a shared block cache, worker threads for serialization and
// compaction when KDI_TS_WORKER_THREADS > 0) and serves the HTTP API. With KDI_TS_LOCK_URL it is
// part of a cluster: it holds /kdi/servers/<id>, loads tablets from their
// configs in META (or /kdi/root for META itself) and writes its configs
// there; the engine then keeps log segments and fragment files until META
// no longer needs them (publication).
//
// Once joined, it finds the master through /kdi/master and sends it
// heartbeats. The data directories (KDI_TS_DATA_DIR, KDI_TS_EXTRA_DATA_DIRS)
// are checked before anything starts: one that cannot be used is bad
// configuration.
//
// The lifecycle is the chassis' runService: bad configuration on stderr
// with exit code 2, logs on stderr, one listening line on stdout
// ({"event":"listening","url":"http://HOST:PORT","serverId":...}, after
// the server joined its cluster), and on SIGINT or SIGTERM: stop taking
// requests, close the server-side scanners, let the engine finish its
// background work and close its log, leave the cluster, exit 0. A lost
// lease exits 3 at once.

import { runService } from '@kdi/service-kit';
import { NodeFileSystem } from '@kdi/storage';
import { loadConfig } from './config.js';
import { prepareDataDirectories } from './disks/data-directories.js';
import { createTabletNode } from './node/tablet-node.js';

runService(
  {
    name: 'tablet server',
    // A data directory that cannot be used is bad configuration too: named, exit 2.
    loadConfig: (env) => {
      const config = loadConfig(env);
      prepareDataDirectories(config);
      return config;
    },
    start: async (config, { logger }) => {
      const node = await createTabletNode(config, {
        fs: new NodeFileSystem(),
        logger,
        onLeaseLost: (reason) => {
          // Our tablets may be served elsewhere now: stop at once (DESIGN §8).
          logger.fatal({ reason }, 'lost the server lease; exiting');
          process.exit(3);
        },
      });
      return {
        app: node.app,
        closers: [() => node.close()],
        afterListen: async (url: string) => {
          await node.join(url);
          return { serverId: config.serverId };
        },
      };
    },
  },
  process.env,
);
