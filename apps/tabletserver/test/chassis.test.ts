// What the service chassis gives the tablet server beyond its routes:
// path parameters as long as names may be (DESIGN §7: 128 characters,
// beyond Fastify's default of 100), JSON bodies refused with a reason,
// and the DESIGN §15 metrics with real values.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

describe('names of 128 characters', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
  });
  afterAll(async () => s.close());

  const table = 't'.repeat(128);
  const tabletId = 'i'.repeat(128);

  it('work in every route: load, apply, scan, table info, stat, compact, unload', async () => {
    await s.load(table, tabletId);
    expect(await s.apply(table, [cell('r1', 'f:', 1, 'v1'), cell('r2', 'f:', 1, 'v2')])).toBeGreaterThan(0);
    expect((await s.scanAll(table)).cells).toEqual([cell('r1', 'f:', 1, 'v1'), cell('r2', 'f:', 1, 'v2')]);
    const info = await s.call('GET', `/v1/tables/${table}`);
    expect(info.status, info.text).toBe(200);
    const stat = await s.call('POST', `/v1/tables/${table}/stat`, { body: {} });
    expect(stat.status, stat.text).toBe(200);
    const compact = await s.call('POST', `/v1/admin/tablets/${tabletId}/compact`, { body: {} });
    expect(compact.status, compact.text).toBe(200);
    const unload = await s.call('DELETE', `/v1/admin/tablets/${tabletId}`);
    expect(unload.status, unload.text).toBe(204);
    expect(s.server.map.size).toBe(0);
  });

  it('a name of 129 characters is refused by the schema, naming the field', async () => {
    const r = await s.expectRefused(() => s.call('POST', `/v1/tables/${'t'.repeat(129)}/scan`, { body: {} }), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /url\.table: must be 1-128 characters/,
    });
    expect(r.body.error.message).not.toMatch(/max param length/);
  });
});

describe('JSON bodies', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('j', 'j1');
  });
  afterAll(async () => s.close());

  it('a "__proto__" key is refused as such, not as invalid JSON', async () => {
    const r = await s.expectRefused(
      () => s.call('POST', '/v1/tables/j/apply', { body: '{"cells":[{"row":"a","column":"f:","timestamp":1,"value":"v","__proto__":{"x":1}}]}' }),
      { status: 400, code: 'INVALID_ARGUMENT', message: /"__proto__" key, which is not allowed/ },
      ['j'],
    );
    expect(r.body.error.message).not.toMatch(/not valid JSON/);
  });

  it('a body that is not JSON says where the parser stopped', async () => {
    await s.expectRefused(() => s.call('POST', '/v1/tables/j/apply', { body: '{"cells":[' }), {
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: /not valid JSON.*: .+/,
    });
  });
});

describe('DESIGN §15 metrics', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.load('m', 'm1');
  });
  afterAll(async () => s.close());

  const value = (text: string, series: string): number => {
    const escaped = series.replace(/[{}"\\[\]]/g, (c) => `\\${c}`);
    const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
    if (m === null) throw new Error(`no series ${series} in:\n${text}`);
    return Number(m[1]);
  };

  it('lists log sync latency and batch size, compaction queue and bytes, free disk space, and process metrics', async () => {
    await s.apply('m', [cell('a', 'f:', 1, 'x'.repeat(100)), cell('b', 'f:', 1, 'y')]);
    await s.apply('m', [cell('c', 'f:', 1, 'z')]);
    let text = (await s.call('GET', '/metrics')).text;
    expect(value(text, 'tabletserver_log_sync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'tabletserver_log_sync_batch_bytes_sum')).toBeGreaterThan(100);
    expect(value(text, 'tabletserver_log_sync_batch_records_sum')).toBeGreaterThanOrEqual(2);
    expect(value(text, `tabletserver_disk_free_bytes{dir="${s.dataDir}"}`)).toBeGreaterThan(0);
    expect(value(text, `tabletserver_disk_total_bytes{dir="${s.dataDir}"}`)).toBeGreaterThanOrEqual(value(text, `tabletserver_disk_free_bytes{dir="${s.dataDir}"}`));
    expect(value(text, 'tabletserver_compaction_pending')).toBe(0);
    expect(value(text, 'tabletserver_compactions')).toBe(0);
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // Not in a cluster: no lease.
    expect(text).not.toMatch(/tabletserver_lease_remaining_seconds/);

    // Two fragments on disk, then a full compaction of them: bytes read and written.
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
    await s.apply('m', [cell('d', 'f:', 1, 'w')]);
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
    const compacted = await s.call('POST', '/v1/admin/tablets/m1/compact', { body: { full: true } });
    expect(compacted.status, compacted.text).toBe(200);
    text = (await s.call('GET', '/metrics')).text;
    expect(value(text, 'tabletserver_compactions')).toBe(1);
    expect(value(text, 'tabletserver_compaction_read_bytes')).toBeGreaterThan(0);
    expect(value(text, 'tabletserver_compaction_written_bytes')).toBeGreaterThan(0);
  });

  it('counts requests by route template, method and status', async () => {
    await s.call('POST', '/v1/tables/m/scan', { body: {} });
    const text = (await s.call('GET', '/metrics')).text;
    expect(value(text, 'tabletserver_http_requests_total{method="POST",route="/v1/tables/:table/scan",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'tabletserver_http_request_duration_seconds_count{method="POST",route="/v1/tables/:table/scan",status="200"}')).toBeGreaterThanOrEqual(1);
  });
});
