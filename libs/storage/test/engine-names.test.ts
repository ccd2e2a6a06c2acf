// Names become paths only after validation (DESIGN §14): a table name,
// tablet id or group name of '.' or '..' (or anything that is not one
// plain path segment) is refused by the engine itself, whatever its caller
// checked, and nothing is written outside the engine directory.

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine } from '../src/engine/engine.js';
import { checkPathSegment, fragmentName } from '../src/engine/fragment-files.js';
import { isStorageError } from '../src/errors.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { b, cell } from './kit.js';

const BAD = ['.', '..', '', 'a/b', '../x', 'x'.repeat(129), 'é'];

/** Every path under `dir`, relative, sorted. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name), rel)));
  }
  return out.sort();
}

async function expectInvalid(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(isStorageError(error), String(error)).toBe(true);
  expect(error).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(pattern) });
}

describe('names that reach the disk', () => {
  let root: string | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    engine = root = undefined;
  });

  it('fragmentName refuses anything but one plain segment per name', async () => {
    expect(fragmentName('t', 'tab.1', 'g-_', 7)).toBe('tables/t/tab.1/g-_/00000007.frag');
    for (const bad of BAD) {
      await expectInvalid(() => fragmentName(bad, 'x', 'g', 1), /table name .*not '\.' or '\.\.'/);
      await expectInvalid(() => fragmentName('t', bad, 'g', 1), /tablet id/);
      await expectInvalid(() => fragmentName('t', 'x', bad, 1), /group name/);
      await expectInvalid(() => checkPathSegment('tablet id', bad), /tablet id/);
    }
  });

  it("refuses '.' and '..' as table and tablet ids, in creates, loads and splits, and writes nothing outside its directory", async () => {
    root = await mkdtemp(join(tmpdir(), 'kdi-names-'));
    const dir = join(root, 'data');
    await mkdir(dir);
    engine = await Engine.open({ fs: new NodeFileSystem(), dir, codec: lz4Codec, autoCompact: false });
    for (const bad of ['.', '..']) {
      await expectInvalid(engine.createTablet({ table: bad, id: 'ok' }), /table name/);
      await expectInvalid(engine.createTablet({ table: 'ok', id: bad }), /tablet id/);
      await expectInvalid(engine.loadTablet({ table: bad, id: 'ok2' }), /table name/);
      await expectInvalid(engine.loadTablet({ table: 'ok', id: bad }), /tablet id/);
    }
    await engine.createTablet({ table: 't', id: 'x' });
    await engine.apply('t', [cell('a', 'f:', 1), cell('m', 'f:', 1)]);
    await expectInvalid(engine.splitTablet('x', b('c'), '..', 'hi'), /tablet id/);
    await expectInvalid(engine.splitTablet('x', b('c'), 'lo', '.'), /tablet id/);
    await engine.serialize();
    await engine.close();
    engine = undefined;

    expect(await readdir(root)).toEqual(['data']);
    const files = await walk(dir);
    expect(files.filter((f) => f.startsWith('tables/'))).toEqual(['tables/t', 'tables/t/x', 'tables/t/x/default', expect.stringMatching(/^tables\/t\/x\/default\/\d{8}\.frag$/)]);
  });
});
