// POST /v1/admin/tablets/{id}/merge on a server without META (tablets
// loaded with their bounds; tablets/tablet-merge.ts): the merged tablet
// serves the union of both, takes writes on both sides, survives a
// restart of the node (the engine's manifest), and request rates follow
// it. Cluster behaviour (META rows, fencing) is in cluster-merge.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('merging tablets on a server without META', () => {
  it('merges a split back: same cells, one tablet, writes on both sides, and the merge survives a restart', async () => {
    const s = await TestServer.start();
    servers.push(s);
    await s.load('mg', 'm1');
    await s.apply(
      'mg',
      ['a', 'c', 'e', 'g', 'i', 'k'].map((r) => cell(r, 'f:', 1, r)),
    );
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
    const split = await s.call('POST', '/v1/admin/tablets/m1/split', { body: { row: 'e', lowTabletId: 'lo', highTabletId: 'hi' } });
    expect(split.status, split.text).toBe(200);
    await s.apply('mg', [{ row: 'c', column: 'f:', timestamp: 1, erase: true }, cell('z', 'f:', 1, 'z')]);
    expect((await s.call('POST', '/v1/admin/tablets/lo/compact', { body: { full: true } })).status).toBe(200);
    const before = (await s.scanAll('mg')).cells;
    expect(before.map((c) => c.row)).toEqual(['a', 'e', 'g', 'i', 'k', 'z']);

    const r = await s.call('POST', '/v1/admin/tablets/hi/merge', { body: { with: 'lo', mergedTabletId: 'm2' } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ low: 'lo', high: 'hi', merged: expect.objectContaining({ tabletId: 'm2', table: 'mg', state: 'serving' }) });
    expect(s.server.tablets('mg').map((t) => t.tabletId)).toEqual(['m2']);
    // The writes counted for the two tablets now count for the merged one.
    expect(s.server.rates.rates('m2').writesPerSec).toBeGreaterThan(0);
    expect(s.server.rates.rates('lo').writesPerSec).toBe(0);
    expect((await s.scanAll('mg')).cells).toEqual(before);
    await s.apply('mg', [cell('b', 'f:', 1, 'b'), cell('y', 'f:', 1, 'y')]);
    const after = (await s.scanAll('mg')).cells;
    expect(after.map((c) => c.row)).toEqual(['a', 'b', 'e', 'g', 'i', 'k', 'y', 'z']);

    await s.close({ keepData: true });
    servers.pop();
    const again = await TestServer.start({ dataDir: s.dataDir });
    servers.push(again);
    await again.load('mg', 'm2');
    expect((await again.scanAll('mg')).cells).toEqual(after);
  });
});
