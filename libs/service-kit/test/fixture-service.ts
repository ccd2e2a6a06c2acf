// A minimal service on the chassis, run as a real process by
// run-service.test.ts: FIXTURE_PORT (a whole number) and FIXTURE_LOG_LEVEL
// are its config; it logs each closer it runs, in order.

import { z } from 'zod';
import { createServiceApp, runService, ServiceConfigError } from '../src/index.js';

const Config = z.object({ host: z.string(), port: z.int().nonnegative(), logLevel: z.enum(['info', 'warn', 'silent']) });

runService(
  {
    name: 'fixture service',
    loadConfig(env) {
      const problems: string[] = [];
      const port = Number(env['FIXTURE_PORT']);
      if (!/^[0-9]+$/.test(env['FIXTURE_PORT'] ?? '')) problems.push(`FIXTURE_PORT: ${JSON.stringify(env['FIXTURE_PORT'])} is not a whole number`);
      const logLevel = env['FIXTURE_LOG_LEVEL'] ?? 'info';
      if (!['info', 'warn', 'silent'].includes(logLevel)) problems.push('FIXTURE_LOG_LEVEL: must be one of info, warn, silent');
      if (problems.length > 0) throw new ServiceConfigError('invalid fixture configuration', problems);
      return Config.parse({ host: '127.0.0.1', port, logLevel });
    },
    async start(config, { logger }) {
      const { app } = await createServiceApp({
        metricsPrefix: 'fixture',
        logLevel: config.logLevel,
        logger,
        bodyLimit: 1024,
        errors: { texts: { bodyTooLarge: { message: 'too large' }, emptyJsonBody: 'empty', invalidMediaType: { message: 'send JSON' } } },
        openapi: { title: 'fixture', version: '0', description: 'fixture' },
      });
      await app.ready();
      return {
        app,
        closers: [() => logger.info('closer 1'), async () => logger.info('closer 2')],
        afterListen: async (url) => ({ extra: 'yes', port: new URL(url).port }),
      };
    },
  },
  process.env,
);
