#!/usr/bin/env node
// The standalone launcher: will start a lock server (embedded backend), a
// master and N tablet servers on 127.0.0.1. Until the master exists it says
// what is built and exits non-zero, so nobody mistakes it for a cluster.
console.error(
  [
    'KDI standalone: the cluster is not built yet.',
    'Built so far: the engine, the lock server (npm run lockserver), the tablet server and the table SDK (see README.md).',
    'Not yet: the master, so nothing assigns tablets (issue 9); docs/operations.md shows a cluster assembled by hand.',
    'Try: npm test    or    npm run bench:tablet -- --quick',
  ].join('\n'),
);
process.exit(2);
