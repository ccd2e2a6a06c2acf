#!/usr/bin/env node
// The standalone launcher: will start a lock server (embedded backend), a
// master and N tablet servers on 127.0.0.1. Until the servers exist it says
// what is built and exits non-zero, so nobody mistakes it for a cluster.
console.error(
  [
    'KDI standalone: the cluster is not built yet.',
    'Built so far: libs/protocol (cells, predicates, errors) and libs/storage (the engine).',
    'Not yet: the lock server, the master and the tablet servers (issues 3 and 4).',
    'Try: npm test    or    npm run bench:engine -- --quick',
  ].join('\n'),
);
process.exit(2);
