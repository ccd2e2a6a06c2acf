// What the tablet server's file GC asks the engine (Engine.isFragmentInUse,
// isFragmentFileName): a fragment a chain holds is in use, one a scan
// still holds after compaction replaced it is in use until the scan ends,
// a file the engine knows nothing of is not; only complete fragment files
// match the fragment name pattern (never temp files, the log or the
// manifest).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { isFragmentFileName, listFragmentFiles } from '../src/engine/fragment-files.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { cell } from './kit.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('fragment files in use', () => {
  it('names fragment files by their layout only', () => {
    expect(isFragmentFileName('tables/t/tab1/default/00000001.frag')).toBe(true);
    expect(isFragmentFileName('tables/t/tab1/00000012.frag')).toBe(true);
    expect(isFragmentFileName('tables/t/tab1/default/00000001.frag.tmp')).toBe(false);
    expect(isFragmentFileName('log/00000001.log')).toBe(false);
    expect(isFragmentFileName('MANIFEST')).toBe(false);
    expect(isFragmentFileName('tables/../tab1/default/00000001.frag')).toBe(false);
    expect(isFragmentFileName('tables/t/tab1/a/b/00000001.frag')).toBe(false);
  });

  it('reports chain and scan holders, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdi-in-use-'));
    dirs.push(dir);
    const fs = new NodeFileSystem();
    const engine = await Engine.open({ fs, dir, autoCompact: false });
    await engine.createTablet({ id: 'tab1', table: 't', lowerExclusive: undefined, upperInclusive: undefined });
    await engine.apply('t', [cell('a', 'f:x', 1, 'v1')]);
    await engine.serialize();
    await engine.apply('t', [cell('b', 'f:x', 1, 'v2')]);
    await engine.serialize();
    const first = (await listFragmentFiles(fs, dir)).filter(isFragmentFileName).map((n) => `${dir}/${n}`);
    expect(first).toHaveLength(2);
    for (const p of first) expect(engine.isFragmentInUse(p)).toBe(true);

    // A scan holds the old fragments across a compaction that replaces them.
    const scanner = await engine.openScanner('tab1', {});
    await engine.compactTablet('tab1', { full: true });
    for (const p of first) expect(engine.isFragmentInUse(p)).toBe(true);
    scanner.close();
    await engine.idle();
    const now = (await listFragmentFiles(fs, dir)).filter(isFragmentFileName).map((n) => `${dir}/${n}`);
    expect(now).toHaveLength(1);
    expect(engine.isFragmentInUse(now[0]!)).toBe(true);
    expect(engine.isFragmentInUse(`${dir}/tables/t/tab1/default/99999999.frag`)).toBe(false);
    expect(engine.isFragmentInUse('/elsewhere/tables/t/x/default/00000001.frag')).toBe(false);
    await engine.close();
  });
});
