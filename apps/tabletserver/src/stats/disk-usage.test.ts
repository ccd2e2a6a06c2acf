// Disk usage on real files: statfs numbers become bytes, the walk counts
// every regular file once and follows no symbolic link, and kdiBytes is
// walked again only when its last walk is older than the limit.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesUnder, diskSpace, DiskUsage } from './disk-usage.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kdi-disk-usage-'));
  dirs.push(d);
  return d;
}

describe('disk usage', () => {
  it('turns statfs blocks into bytes', () => {
    expect(diskSpace({ blocks: 1000, bsize: 4096, bavail: 250 })).toEqual({ capacityBytes: 4_096_000, freeBytes: 1_024_000 });
  });

  it('sums the files under a directory without following links', async () => {
    const d = await tempDir();
    const outside = await tempDir();
    await mkdir(join(d, 'tables/t/x/default'), { recursive: true });
    await writeFile(join(d, 'MANIFEST'), Buffer.alloc(100));
    await writeFile(join(d, 'tables/t/x/default/00000001.frag'), Buffer.alloc(1000));
    await writeFile(join(outside, 'big'), Buffer.alloc(50_000));
    await symlink(outside, join(d, 'link'));
    expect(await bytesUnder(d)).toBe(1100);
    expect(await bytesUnder(join(d, 'missing'))).toBe(0);
  });

  it('reports every directory, walking again only when the last walk is too old', async () => {
    const a = await tempDir();
    const b = await tempDir();
    await writeFile(join(a, 'f'), Buffer.alloc(10));
    let t = 0;
    const usage = new DiskUsage([a, b], { kdiBytesMaxAgeMs: 1000, now: () => t });
    const first = await usage.statuses();
    expect(first.map((s) => [s.path, s.kdiBytes])).toEqual([
      [a, 10],
      [b, 0],
    ]);
    expect(first[0]!.capacityBytes).toBeGreaterThan(0);
    expect(first[0]!.freeBytes).toBeLessThanOrEqual(first[0]!.capacityBytes);
    await writeFile(join(a, 'g'), Buffer.alloc(5));
    t = 999;
    expect((await usage.statuses())[0]!.kdiBytes).toBe(10);
    t = 1000;
    expect((await usage.statuses())[0]!.kdiBytes).toBe(15);
  });
});
