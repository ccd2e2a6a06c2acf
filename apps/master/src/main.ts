// The master process: the only place that reads process.env, listens and
// handles signals (DESIGN §16). The lifecycle is the chassis' runService:
// bad configuration on stderr with exit code 2, logs on stderr, one
// listening line on stdout ({"event":"listening","url":...,"masterUrl":...}),
// and on SIGINT or SIGTERM: stop taking requests, give up the election
// (a standby takes over at once), exit 0. The master then joins the
// election in the background: it serves as a standby until it wins. A
// master that loses its lock-service session exits 3 at once, so a
// supervisor restarts it as a standby (DESIGN §9: it stops acting).

import { runService } from '@kdi/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { Master } from './node/master.js';

export const EXIT_SESSION_LOST = 3;

runService(
  {
    name: 'master',
    loadConfig,
    start: async (config, { logger }) => {
      const master = new Master(config, {
        logger,
        onLost: (reason) => {
          logger.fatal({ reason }, 'lost the master session; exiting');
          process.exit(EXIT_SESSION_LOST);
        },
      });
      const app = await buildApp(config, { master, logger });
      return {
        app,
        closers: [() => master.close()],
        afterListen: async (url: string) => {
          master.start(url);
          return { masterUrl: master.url };
        },
      };
    },
  },
  process.env,
);
