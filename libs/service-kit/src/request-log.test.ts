import { KdiError } from '@kdi/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from './service-app.js';
import type { ServiceApp } from './service-app-type.js';
import { injectRequest } from './testing/inject.js';

const apps: ServiceApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** An app whose log lines (parsed) land in the returned list. */
async function make(level: string): Promise<{ app: ServiceApp; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const { app } = await createServiceApp({
    metricsPrefix: 'test',
    logLevel: level,
    logger,
    bodyLimit: 1024,
    errors: { texts: { bodyTooLarge: { message: 'too large' }, emptyJsonBody: 'send {}', invalidMediaType: { message: 'send application/json' } } },
    openapi: { title: 't', version: '1', description: 'd', secured: () => false },
  });
  app.get('/v1/ok', { schema: { operationId: 'ok' } }, async () => ({ ok: true }));
  app.get('/v1/refused', { schema: { operationId: 'refused', querystring: z.strictObject({}) } }, async () => {
    throw new KdiError('NOT_FOUND', 'no such thing');
  });
  await app.ready();
  apps.push(app);
  return { app, lines };
}

describe('request logging', () => {
  it('writes one info line per answered request, with the request id, the request, the status and the time', async () => {
    const { app, lines } = await make('info');
    await injectRequest(app, { method: 'GET', url: '/v1/ok?x=1', headers: { 'x-request-id': 'req-42' } });
    const mine = lines.filter((l) => l['requestId'] === 'req-42');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/v1/ok?x=1' }, res: { statusCode: 200 } });
    expect(typeof mine[0]!['responseTime']).toBe('number');
    expect(lines.some((l) => l['msg'] === 'incoming request')).toBe(false);
  });

  it('keeps the refusal line of a rejected request beside its completion line', async () => {
    const { app, lines } = await make('info');
    await injectRequest(app, { method: 'GET', url: '/v1/refused', headers: { 'x-request-id': 'req-43' } });
    const mine = lines.filter((l) => l['requestId'] === 'req-43');
    expect(mine.map((l) => l['msg'])).toEqual(['request rejected', 'request completed']);
    expect(mine[1]).toMatchObject({ res: { statusCode: 404 } });
  });

  it('writes the incoming line too at debug level (requests that never finish can be found)', async () => {
    const { app, lines } = await make('debug');
    await injectRequest(app, { method: 'GET', url: '/v1/ok', headers: { 'x-request-id': 'req-44' } });
    const mine = lines.filter((l) => l['requestId'] === 'req-44');
    expect(mine.map((l) => [l['level'], l['msg']])).toEqual([
      [20, 'incoming request'],
      [30, 'request completed'],
    ]);
  });
});
