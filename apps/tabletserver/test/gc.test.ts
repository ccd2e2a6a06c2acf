// POST /v1/admin/gc on real files: a fragment file of a tablet no config
// names is deleted once older than the grace period — in the data
// directory and in an extra one; a file named in keep, a file the engine
// uses, a young file, a temp file, the log and the manifest stay; dryRun
// deletes nothing; bad input is a 4xx naming the field.

import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell, TestServer } from './harness.js';

const HOUR_AGO = new Date(Date.now() - 3_600_000);

async function put(path: string, bytes: number, old: boolean): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.alloc(bytes, 7));
  if (old) await utimes(path, HOUR_AGO, HOUR_AGO);
  return path;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('POST /v1/admin/gc', () => {
  let s: TestServer;
  let extra: string;
  beforeAll(async () => {
    extra = await mkdtemp(join(tmpdir(), 'kdi-gc-extra-'));
    s = await TestServer.start({ config: { extraDataDirs: [extra] } });
    await s.load('live', 'live1');
    await s.apply('live', [cell('a', 'f:x', 1, 'one'), cell('b', 'f:x', 1, 'two')]);
    expect((await s.call('POST', '/v1/admin/serialize', { body: {} })).status).toBe(200);
  });
  afterAll(async () => {
    await s.close();
    await rm(extra, { recursive: true, force: true });
  });

  it('deletes only old fragment files that neither keep nor the engine names', async () => {
    const dir = s.node.engine.dir;
    const used = (await filesUnder(join(dir, 'tables'))).map((f) => join(dir, 'tables', f));
    expect(used.length).toBeGreaterThan(0);
    for (const f of used) await utimes(f, HOUR_AGO, HOUR_AGO); // old, but in use
    const orphan = await put(join(dir, 'tables/gone/gone1/default/00000001.frag'), 100, true);
    const orphanLegacy = await put(join(dir, 'tables/gone/gone2/00000002.frag'), 50, true);
    const extraOrphan = await put(join(extra, 'tables/gone/gone3/default/00000003.frag'), 30, true);
    const kept = await put(join(dir, 'tables/other/oth1/default/00000004.frag'), 10, true);
    const young = await put(join(dir, 'tables/gone/gone1/default/00000005.frag'), 10, false);
    const temp = await put(join(dir, 'tables/gone/gone1/default/00000006.frag.tmp'), 10, true);
    const stray = await put(join(dir, 'tables/gone/gone1/default/notes.txt'), 10, true);
    const untouched = [...used, kept, young, temp, stray, join(dir, 'MANIFEST')];
    const body = { keep: [kept, '/somewhere/else/tables/t/x/default/00000001.frag'], minAgeMs: 60_000 };

    const dry = await s.call('POST', '/v1/admin/gc', { body: { ...body, dryRun: true } });
    expect(dry.status, dry.text).toBe(200);
    expect([...dry.body.deleted].sort()).toEqual([orphan, orphanLegacy, extraOrphan].sort());
    expect(dry.body.deletedBytes).toBe(180);
    for (const p of [orphan, orphanLegacy, extraOrphan]) expect(await exists(p), p).toBe(true);

    const real = await s.call('POST', '/v1/admin/gc', { body });
    expect(real.status, real.text).toBe(200);
    expect([...real.body.deleted].sort()).toEqual([orphan, orphanLegacy, extraOrphan].sort());
    expect(real.body).toMatchObject({ deletedBytes: 180, kept: used.length + 2 });
    for (const p of [orphan, orphanLegacy, extraOrphan]) expect(await exists(p), p).toBe(false);
    for (const p of untouched) expect(await exists(p), p).toBe(true);
    expect((await readdir(join(dir, 'log'))).length).toBeGreaterThan(0);

    // The table still reads whole.
    expect((await s.scanAll('live')).cells.map((c) => ('value' in c ? c.value : 'erased'))).toEqual(['one', 'two']);

    // The young file goes once the grace period allows it.
    const later = await s.call('POST', '/v1/admin/gc', { body: { keep: [kept], minAgeMs: 0 } });
    expect(later.body.deleted).toContain(young);
    expect(later.body.deleted).not.toContain(temp);
    expect((await s.scanAll('live')).cells).toHaveLength(2);
  });

  it.each([
    [{ minAgeMs: 1000 }, /keep/],
    [{ keep: ['relative/tables/t/x/default/00000001.frag'], minAgeMs: 0 }, /keep\[0\].*must be an absolute path/],
    [{ keep: [], minAgeMs: -1 }, /minAgeMs/],
    [{ keep: [], minAgeMs: 1.5 }, /minAgeMs/],
    [{ keep: [], minAgeMs: 0, force: true }, /force/],
    [{ keep: 'all', minAgeMs: 0 }, /keep/],
  ])('refuses %j with 400 naming the problem', async (body, message) => {
    const r = await s.expectRefused(() => s.call('POST', '/v1/admin/gc', { body }), { status: 400, code: 'INVALID_ARGUMENT', message }, ['live']);
    expect(r.body.error.message).toMatch(message);
  });

  it('needs the cluster secret', async () => {
    await s.expectRefused(() => s.call('POST', '/v1/admin/gc', { body: { keep: [], minAgeMs: 0 }, auth: false }), { status: 401, code: 'UNAUTHENTICATED' }, ['live']);
  });
});
