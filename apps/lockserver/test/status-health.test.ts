// GET /v1/status, /healthz, /readyz and /metrics.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from './harness.js';

describe('status, health and metrics', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  it('reports the service status', async () => {
    await s.openSession();
    await s.openSession();
    const r = await s.call('GET', '/v1/status');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      backend: 'embedded',
      incarnation: expect.any(String),
      revision: await s.revision(),
      safeModeRemainingMs: 0,
      sessions: 2,
    });
  });

  it('refuses query parameters on status', async () => {
    await s.expectRefused(() => s.call('GET', '/v1/status?verbose=1'), { status: 400, code: 'INVALID_ARGUMENT', message: /unknown field "verbose"/ });
  });

  it('answers /healthz and /readyz while the store works', async () => {
    expect(await s.call('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await s.call('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', backend: 'embedded' } });
  });

  it('serves Prometheus metrics: requests and latency per route template, sessions, revision, safe mode', async () => {
    await s.createFile('/m/a', '');
    await s.call('GET', '/v1/stat/m/a');
    await s.call('GET', '/v1/stat/m/missing');
    const r = await s.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = r.text;
    expect(text).toMatch(/^lockserver_http_requests_total\{method="GET",route="\/v1\/stat\/\*",status="200"\} 1$/m);
    expect(text).toMatch(/^lockserver_http_requests_total\{method="GET",route="\/v1\/stat\/\*",status="404"\} 1$/m);
    expect(text).toMatch(/^lockserver_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/files\/\*",status="201"\} 1$/m);
    expect(text).toMatch(/^lockserver_http_request_duration_seconds_count\{method="GET",route="\/v1\/stat\/\*",status="200"\} 1$/m);
    expect(text).toMatch(/^lockserver_http_request_duration_seconds_count\{method="GET",route="\/v1\/stat\/\*",status="404"\} 1$/m);
    // The process metrics of prom-client: memory, event-loop lag, handles.
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    expect(text).toMatch(/^nodejs_active_handles_total \d+$/m);
    const status = await s.store.status();
    expect(text).toContain(`\nlockserver_sessions ${status.sessions}\n`);
    expect(text).toContain(`\nlockserver_revision ${status.revision}\n`);
    expect(text).toContain('\nlockserver_safe_mode 0\n');
    expect(text).toContain('\nlockserver_store_up 1\n');
    // Raw lock paths never become labels.
    expect(text).not.toContain('/m/a');
  });

  it('reports not ready (503 UNAVAILABLE) and store_up 0 once the store is gone', async () => {
    const own = await TestServer.start();
    try {
      await own.store.close();
      const ready = await own.call('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('UNAVAILABLE');
      expect((await own.call('GET', '/healthz')).status).toBe(200);
      expect((await own.call('GET', '/metrics')).text).toContain('\nlockserver_store_up 0\n');
      const status = await own.call('GET', '/v1/status');
      expect(status.status).toBe(503);
      expect(status.body.error.code).toBe('UNAVAILABLE');
    } finally {
      await own.close();
    }
  });
});
