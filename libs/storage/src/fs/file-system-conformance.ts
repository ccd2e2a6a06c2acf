// The conformance suite every FileSystem implementation runs (as
// Level/abstract-level does for its backends): the behaviour the engine
// relies on, including the error codes, so the in-memory and fault-injecting
// filesystems used by tests behave like the real one. Imports vitest, so it is
// not re-exported from the package entry point; import this file directly.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import type { StorageErrorKind } from '../errors.js';
import type { FileSystem } from './file-system.js';
import { fsErrorCode } from './fs-error.js';

export interface FileSystemFixture {
  fs: FileSystem;
  /** An existing, empty directory the tests may fill. */
  root: string;
  cleanup: () => Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Byte equality (native compare: element-wise toEqual is slow on megabytes); names the first difference. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  if (a.equals(expected)) return;
  let i = 0;
  while (i < a.length && i < expected.length && a[i] === expected[i]) i++;
  expect.fail(`bytes differ at offset ${i} (lengths ${a.length} and ${expected.length})`);
}

/** Asserts that `p` rejects with a StorageError of `kind` whose cause carries errno `code`. */
export async function expectFsError(p: Promise<unknown>, code: string, kind: StorageErrorKind = code === 'ENOENT' ? 'not-found' : 'io') {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeDefined();
  expect(isStorageError(err, kind), `expected StorageError(${kind}), got ${String(err)}`).toBe(true);
  expect(fsErrorCode(err)).toBe(code);
}

export function describeFileSystemConformance(name: string, makeFs: () => Promise<FileSystemFixture>): void {
  describe(`FileSystem conformance: ${name}`, () => {
    let fx: FileSystemFixture;
    let fs: FileSystem;
    let root: string;
    const p = (rel: string) => `${root}/${rel}`;

    beforeEach(async () => {
      fx = await makeFs();
      fs = fx.fs;
      root = fx.root;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('writes, syncs and reads back a file', async () => {
      const w = await fs.openWrite(p('a'), 'create-new');
      expect(w.size).toBe(0);
      await w.append(bytes('hello '));
      await w.append(bytes('world'));
      expect(w.size).toBe(11);
      await w.sync();
      await w.close();
      const back = await fs.readFile(p('a'));
      expect(text(back)).toBe('hello world');
      // Plain arrays, so slice() copies on every implementation (Buffer's does not).
      expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
      expect(await fs.stat(p('a'))).toEqual({ size: 11, isDirectory: false });
      expect(await fs.exists(p('a'))).toBe(true);
      expect(await fs.exists(p('b'))).toBe(false);
    });

    it('create-new refuses an existing file and leaves it alone', async () => {
      await fs.writeFileAtomic(p('a'), bytes('keep'));
      await expectFsError(fs.openWrite(p('a'), 'create-new'), 'EEXIST');
      await fs.mkdir(p('d'));
      await expectFsError(fs.openWrite(p('d'), 'create-new'), 'EEXIST');
      expect(text(await fs.readFile(p('a')))).toBe('keep');
    });

    it('reports missing files and directories as ENOENT (not-found)', async () => {
      await expectFsError(fs.openRead(p('nope')), 'ENOENT');
      await expectFsError(fs.readFile(p('nope')), 'ENOENT');
      await expectFsError(fs.stat(p('nope')), 'ENOENT');
      await expectFsError(fs.list(p('nope')), 'ENOENT');
      await expectFsError(fs.unlink(p('nope')), 'ENOENT');
      await expectFsError(fs.rmdir(p('nope')), 'ENOENT');
      await expectFsError(fs.rename(p('nope'), p('other')), 'ENOENT');
      await expectFsError(fs.openWrite(p('no-dir/f'), 'append'), 'ENOENT');
      await expectFsError(fs.writeFileAtomic(p('no-dir/f'), bytes('x')), 'ENOENT');
    });

    it('truncate mode empties an existing file; append mode continues it', async () => {
      await fs.writeFileAtomic(p('a'), bytes('0123456789'));
      const t = await fs.openWrite(p('a'), 'truncate');
      expect(t.size).toBe(0);
      await t.append(bytes('ab'));
      await t.sync();
      await t.close();
      expect(text(await fs.readFile(p('a')))).toBe('ab');

      const a = await fs.openWrite(p('a'), 'append');
      expect(a.size).toBe(2);
      await a.append(bytes('cd'));
      await a.sync();
      await a.close();
      const again = await fs.openWrite(p('a'), 'append');
      await again.append(bytes('ef'));
      expect(again.size).toBe(6);
      await again.close();
      expect(text(await fs.readFile(p('a')))).toBe('abcdef');

      const fresh = await fs.openWrite(p('new'), 'append');
      expect(fresh.size).toBe(0);
      await fresh.close();
      const fresh2 = await fs.openWrite(p('new2'), 'truncate');
      await fresh2.close();
      expect(await fs.list(root)).toEqual(['a', 'new', 'new2']);
    });

    it('reads ranges; a read past the end returns the bytes that exist', async () => {
      const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
      await fs.writeFileAtomic(p('a'), data);
      const r = await fs.openRead(p('a'));
      expect(r.size).toBe(1000);
      expect(r.path).toBe(p('a'));
      expectBytes(await r.read(10, 20), data.subarray(10, 30));
      expectBytes(await r.read(990, 50), data.subarray(990));
      expect((await r.read(1000, 5)).length).toBe(0);
      expect((await r.read(5000, 5)).length).toBe(0);
      expect((await r.read(0, 0)).length).toBe(0);
      const all = await r.read(0, 1000);
      expectBytes(all, data);
      expect(Object.getPrototypeOf(all)).toBe(Uint8Array.prototype);
      await r.close();
    });

    it('truncate cuts (and zero-extends) a file; appends continue at the new end', async () => {
      const w = await fs.openWrite(p('a'), 'create-new');
      await w.append(bytes('0123456789'));
      await w.truncate(4);
      expect(w.size).toBe(4);
      await w.append(bytes('xy'));
      await w.sync();
      expect(text(await fs.readFile(p('a')))).toBe('0123xy');
      await w.truncate(8);
      await w.sync();
      await w.close();
      expectBytes(await fs.readFile(p('a')), new Uint8Array([0x30, 0x31, 0x32, 0x33, 0x78, 0x79, 0, 0]));
    });

    it('keeps appends in call order even when not awaited one by one', async () => {
      const w = await fs.openWrite(p('a'), 'create-new');
      const chunks = Array.from({ length: 50 }, (_, i) => bytes(`<${i}>`));
      await Promise.all(chunks.map((c) => w.append(c)));
      await w.sync();
      await w.close();
      expect(text(await fs.readFile(p('a')))).toBe(chunks.map(text).join(''));
    });

    it('round-trips a large file', async () => {
      const big = new Uint8Array(3 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >>> 11)) & 0xff;
      const w = await fs.openWrite(p('big'), 'create-new');
      await w.append(big.subarray(0, 1 << 20));
      await w.append(big.subarray(1 << 20));
      await w.sync();
      await w.close();
      expectBytes(await fs.readFile(p('big')), big);
      const r = await fs.openRead(p('big'));
      expectBytes(await r.read(12345, 2 << 20), big.subarray(12345, 12345 + (2 << 20)));
      await r.close();
    });

    it('lists names (not paths), sorted, files and directories alike', async () => {
      for (const n of ['b', 'a', 'c10', 'c2']) await fs.writeFileAtomic(p(n), bytes(n));
      await fs.mkdir(p('dir'));
      await fs.writeFileAtomic(p('dir/inner'), bytes('x'));
      expect(await fs.list(root)).toEqual(['a', 'b', 'c10', 'c2', 'dir']);
      expect(await fs.list(p('dir'))).toEqual(['inner']);
      await expectFsError(fs.list(p('a')), 'ENOTDIR');
    });

    it('mkdir creates parents, tolerates existing directories, refuses a file', async () => {
      await fs.mkdir(p('x/y/z'));
      await fs.mkdir(p('x/y/z'));
      await fs.mkdir(p('x'));
      expect(await fs.stat(p('x/y'))).toMatchObject({ isDirectory: true });
      expect(await fs.list(p('x'))).toEqual(['y']);
      await fs.writeFileAtomic(p('f'), bytes('x'));
      await expectFsError(fs.mkdir(p('f')), 'EEXIST');
      await expectFsError(fs.mkdir(p('f/sub')), 'ENOTDIR');
      expect(await fs.exists(p('f/sub'))).toBe(false);
    });

    it('rmdir removes only empty directories', async () => {
      await fs.mkdir(p('d/e'));
      await expectFsError(fs.rmdir(p('d')), 'ENOTEMPTY');
      await fs.rmdir(p('d/e'));
      await fs.rmdir(p('d'));
      expect(await fs.exists(p('d'))).toBe(false);
      await fs.writeFileAtomic(p('f'), bytes('x'));
      await expectFsError(fs.rmdir(p('f')), 'ENOTDIR');
    });

    it('stat and openRead of a directory', async () => {
      await fs.mkdir(p('d'));
      expect((await fs.stat(p('d'))).isDirectory).toBe(true);
      expect((await fs.stat(root)).isDirectory).toBe(true);
      await expectFsError(fs.openRead(p('d')), 'EISDIR');
      await expectFsError(fs.readFile(p('d')), 'EISDIR');
      await expectFsError(fs.unlink(p('d')), 'EISDIR');
    });

    it('rename moves a file, replacing an existing target, across directories', async () => {
      await fs.writeFileAtomic(p('a'), bytes('new'));
      await fs.writeFileAtomic(p('b'), bytes('old'));
      await fs.rename(p('a'), p('b'));
      expect(await fs.exists(p('a'))).toBe(false);
      expect(text(await fs.readFile(p('b')))).toBe('new');
      await fs.mkdir(p('sub'));
      await fs.rename(p('b'), p('sub/c'));
      expect(await fs.list(root)).toEqual(['sub']);
      expect(text(await fs.readFile(p('sub/c')))).toBe('new');
      await fs.rename(p('sub'), p('moved'));
      expect(text(await fs.readFile(p('moved/c')))).toBe('new');
      await fs.mkdir(p('dir'));
      await fs.writeFileAtomic(p('f'), bytes('x'));
      await expectFsError(fs.rename(p('f'), p('dir')), 'EISDIR');
    });

    it('writeFileAtomic creates and replaces whole contents, leaving no temp files', async () => {
      await fs.writeFileAtomic(p('m'), bytes('first version, long'));
      await fs.writeFileAtomic(p('m'), bytes('second'));
      expect(text(await fs.readFile(p('m')))).toBe('second');
      await fs.writeFileAtomic(p('empty'), new Uint8Array(0));
      expect((await fs.readFile(p('empty'))).length).toBe(0);
      expect(await fs.list(root)).toEqual(['empty', 'm']);
    });

    it('unlink removes a file; an open reader keeps reading it', async () => {
      await fs.writeFileAtomic(p('a'), bytes('abc'));
      const r = await fs.openRead(p('a'));
      await fs.unlink(p('a'));
      expect(await fs.exists(p('a'))).toBe(false);
      expect(await fs.list(root)).toEqual([]);
      expect(text(await r.read(0, 3))).toBe('abc');
      await r.close();
    });

    it('a closed handle refuses further calls; close is idempotent', async () => {
      const w = await fs.openWrite(p('a'), 'create-new');
      await w.close();
      await w.close();
      await expect(w.append(bytes('x'))).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
      await expect(w.sync()).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
      const r = await fs.openRead(p('a'));
      await r.close();
      await expect(r.read(0, 1)).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
    });

    it('rejects a negative read range or truncate length as invalid-argument', async () => {
      const w = await fs.openWrite(p('a'), 'create-new');
      await expect(w.truncate(-1)).rejects.toSatisfy((e) => isStorageError(e, 'invalid-argument'));
      await w.close();
      const r = await fs.openRead(p('a'));
      await expect(r.read(-1, 2)).rejects.toSatisfy((e) => isStorageError(e, 'invalid-argument'));
      await r.close();
    });
  });
}
