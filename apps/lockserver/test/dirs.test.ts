// GET /v1/dirs and GET /v1/dirs/{path…}.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from './harness.js';

describe('directory listings', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await TestServer.start();
    await s.createFile('/kdi/root', 'r');
    await s.createFile('/kdi/servers/ts-1', 'a');
    await s.createFile('/kdi/servers/ts-2', 'b');
    await s.createFile('/kdi/servers', 'a file that is also a directory');
    await s.createFile('/top', 't');
  });
  afterAll(async () => s.close());

  it('lists the root at /v1/dirs and /v1/dirs/', async () => {
    const root = await s.call('GET', '/v1/dirs');
    expect(root.status).toBe(200);
    expect(root.body).toEqual({
      path: '/',
      entries: [
        { name: 'kdi', path: '/kdi', file: false, children: true },
        { name: 'top', path: '/top', file: true, children: false },
      ],
      revision: await s.revision(),
    });
    expect((await s.call('GET', '/v1/dirs/')).body).toEqual(root.body);
  });

  it('lists immediate children, marking files and implicit directories', async () => {
    const kdi = await s.call('GET', '/v1/dirs/kdi');
    expect(kdi.body.entries).toEqual([
      { name: 'root', path: '/kdi/root', file: true, children: false },
      { name: 'servers', path: '/kdi/servers', file: true, children: true },
    ]);
    const servers = await s.call('GET', '/v1/dirs/kdi/servers');
    expect(servers.body.entries.map((e: { name: string }) => e.name)).toEqual(['ts-1', 'ts-2']);
  });

  it('lists no entries for a directory with nothing below it', async () => {
    const r = await s.call('GET', '/v1/dirs/nothing/here');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ path: '/nothing/here', entries: [], revision: expect.any(Number) });
  });

  it('follows changes: a deleted file leaves the listing', async () => {
    await s.createFile('/kdi/servers/ts-3', 'c');
    expect((await s.call('GET', '/v1/dirs/kdi/servers')).body.entries).toHaveLength(3);
    await s.call('DELETE', '/v1/files/kdi/servers/ts-3');
    const after = await s.call('GET', '/v1/dirs/kdi/servers');
    expect(after.body.entries.map((e: { name: string }) => e.name)).toEqual(['ts-1', 'ts-2']);
  });

  it.each([
    ['a .. segment', 'kdi%2F..%2Fkdi', /'\.\.' segment/],
    ['a trailing slash', 'kdi/', /must not end with '\/'/],
    ['a bad character', 'kdi/a%24b', /\[A-Za-z0-9._-\]/],
  ])('refuses a path with %s', async (_name, wildcard, message) => {
    await s.expectRefused(() => s.call('GET', `/v1/dirs/${wildcard}`), { status: 400, code: 'INVALID_ARGUMENT', message });
  });

  it('refuses query parameters', async () => {
    await s.expectRefused(() => s.call('GET', '/v1/dirs/kdi?recursive=true'), { status: 400, code: 'INVALID_ARGUMENT', message: /unknown field "recursive"/ });
  });
});
