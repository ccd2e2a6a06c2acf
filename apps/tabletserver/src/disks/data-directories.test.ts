// The data directories on real files: missing ones are created, a file or
// an unwritable path is refused with its name, and two paths that are one
// directory (a symbolic link) are refused.

import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { prepareDataDirectories } from './data-directories.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) {
    await chmod(d, 0o700).catch(() => {});
    await rm(d, { recursive: true, force: true });
  }
});

async function base(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kdi-data-dirs-'));
  dirs.push(d);
  return d;
}

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('prepareDataDirectories', () => {
  it('creates missing extra directories and returns every directory, absolute', async () => {
    const b = await base();
    const got = prepareDataDirectories({ dataDir: join(b, 'd0'), extraDataDirs: [join(b, 'd1'), join(b, 'deep/d2')] });
    expect(got).toEqual([join(b, 'd0'), join(b, 'd1'), join(b, 'deep/d2')]);
  });

  it('names a file, an unwritable directory and a link to another data directory', async () => {
    const b = await base();
    await writeFile(join(b, 'file'), 'x');
    await mkdir(join(b, 'd0'));
    await symlink(join(b, 'd0'), join(b, 'alias'));
    const locked = join(b, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    const list = problems(() => prepareDataDirectories({ dataDir: join(b, 'd0'), extraDataDirs: [join(b, 'file'), join(b, 'alias'), join(locked, 'sub')] }));
    expect(list[0]).toMatch(new RegExp(`^KDI_TS_EXTRA_DATA_DIRS: ${join(b, 'file')} `));
    expect(list[1]).toMatch(new RegExp(`^KDI_TS_EXTRA_DATA_DIRS: ${join(b, 'alias')} is the data directory`));
    // root can write anywhere: the unwritable case only holds for other users
    if (process.getuid?.() !== 0) expect(list[2]).toMatch(new RegExp(`^KDI_TS_EXTRA_DATA_DIRS: ${join(locked, 'sub')} cannot be created`));
  });
});
