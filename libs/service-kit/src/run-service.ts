// runService: the whole of a server's main.ts lifecycle (DESIGN §16: main.ts
// reads the environment, listens and handles signals; what it builds is
// the app's). It promises:
//  - bad configuration: every bad setting named on stderr, exit code 2
//    (EXIT_CONFIG), before anything is opened;
//  - logs are JSON lines (pino) on stderr, never on stdout;
//  - stdout carries exactly one JSON line once the server accepts
//    connections: {"event":"listening","url":"http://HOST:PORT",...extra}
//    (launchers and tests parse it; with port 0 it is the only way to
//    learn the port; `extra` comes from the app's afterListen);
//  - SIGINT or SIGTERM: the app closes (no new requests; its onClose and
//    preClose hooks run), then the app's closers in order, then exit 0; a
//    failing close logs and exits 1 (EXIT_FAILURE);
//  - a failure while starting: "<name> failed to start: <stack>" on
//    stderr, exit 1.

import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ServiceConfigError } from './config-loader.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

/** What a server's start gives runService. */
export interface StartedService {
  readonly app: FastifyInstance;
  /** Run after the app closed, in order (stores, engines, worker pools …). */
  readonly closers?: readonly (() => Promise<unknown> | unknown)[];
  /**
   * Run once listening, before the listening line (e.g. joining a cluster,
   * which needs the URL); the fields it returns are added to the line.
   */
  readonly afterListen?: (url: string) => Promise<Record<string, unknown> | void>;
}

export interface ServiceDefinition<Config extends { readonly logLevel: string; readonly host: string; readonly port: number }> {
  /** For messages, e.g. 'lock server'. */
  readonly name: string;
  /** Builds the config from the environment; throws a ServiceConfigError naming every bad setting. */
  readonly loadConfig: (env: Readonly<Record<string, string | undefined>>) => Config;
  /** Opens what the server needs and builds its app (not listening). */
  readonly start: (config: Config, ctx: { readonly logger: Logger }) => Promise<StartedService>;
}

/** The URL of a listening app, e.g. http://127.0.0.1:4000 or http://[::1]:4000. */
export function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Runs the service until a signal ends it; main.ts calls this with process.env. */
export function runService<Config extends { readonly logLevel: string; readonly host: string; readonly port: number }>(
  def: ServiceDefinition<Config>,
  env: Readonly<Record<string, string | undefined>>,
): void {
  run(def, env).catch((e: unknown) => {
    process.stderr.write(`${def.name} failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(EXIT_FAILURE);
  });
}

async function run<Config extends { readonly logLevel: string; readonly host: string; readonly port: number }>(
  def: ServiceDefinition<Config>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  let config: Config;
  try {
    config = def.loadConfig(env);
  } catch (e) {
    if (e instanceof ServiceConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw e;
  }

  const logger = pino({ level: config.logLevel }, pino.destination({ dest: 2, sync: true }));
  const started = await def.start(config, { logger });
  const { app } = started;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
      for (const close of started.closers ?? []) await close();
      process.exit(EXIT_OK);
    } catch (e) {
      logger.error({ err: e }, 'shutdown failed');
      process.exit(EXIT_FAILURE);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  const url = listeningUrl(app);
  const extra = (await started.afterListen?.(url)) ?? {};
  process.stdout.write(`${JSON.stringify({ event: 'listening', url, ...extra })}\n`);
}
