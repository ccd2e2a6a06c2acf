// Tablets the storage engine kept from before a restart are "dormant": in
// the engine, not served. GET /v1/admin/status lists them with why; a load
// overlapping one is FAILED_PRECONDITION (as docs/api.md says for
// overlaps), naming it and how to serve it again; loading it by its id
// takes it over with its data.

import { afterEach, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

describe('dormant tablets', () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('are listed by status, refuse overlapping loads with FAILED_PRECONDITION, and are taken over by id', async () => {
    s = await TestServer.start();
    await s.load('d', 'd-low', { upper: 'm' });
    await s.load('d', 'd-high', { lower: 'm' });
    await s.apply('d', [cell('a', 'f:', 1, 'x'), cell('z', 'f:', 1, 'y')]);
    const dataDir = s.dataDir;
    await s.close({ keepData: true });
    s = await TestServer.start({ dataDir });

    const status = await s.call('GET', '/v1/admin/status');
    expect(status.status, status.text).toBe(200);
    expect(status.body.tablets).toEqual([]);
    expect(status.body.dormantTablets).toHaveLength(2);
    expect(status.body.dormantTablets).toEqual(
      expect.arrayContaining([
        { tabletId: 'd-high', table: 'd', lowerExclusive: 'm', reason: 'restart', detail: expect.stringMatching(/before a restart.*load it by its id d-high/) },
        { tabletId: 'd-low', table: 'd', upperInclusive: 'm', reason: 'restart', detail: expect.stringMatching(/load it by its id d-low/) },
      ]),
    );

    const load = (body: unknown) => s!.call('POST', '/v1/admin/tablets', { body });
    const refused = await s.expectRefused(() => load({ table: 'd', tabletId: 'd-new', lowerExclusive: 'c', upperInclusive: 'q' }), {
      status: 400,
      code: 'FAILED_PRECONDITION',
      message: /^tablet d-new overlaps tablet d-(low|high) of table d, which this server holds dormant: .*load it by its id/,
    });
    expect(refused.body.error.details).toMatchObject({ tabletId: 'd-new', table: 'd', dormant: 'restart' });
    // Another table's range is not affected.
    await s.load('other', 'o1');

    await s.load('d', 'd-low', { upper: 'm' });
    await s.load('d', 'd-high', { lower: 'm' });
    expect((await s.scanAll('d')).cells).toEqual([cell('a', 'f:', 1, 'x'), cell('z', 'f:', 1, 'y')]);
    expect((await s.call('GET', '/v1/admin/status')).body.dormantTablets).toEqual([]);
  });
});
