// Fault tests: ENOSPC and EIO in the middle of the engine's writes. The
// engine must report the error to the caller, keep serving what it has,
// and recover every acknowledged write on reopen. Flipped bits in a
// fragment must surface as corruption naming the file, never be skipped.

import { describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine } from '../src/engine/engine.js';
import { isStorageError } from '../src/errors.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { cell, show } from './kit.js';

const DIR = '/disk/kdi';

async function open(mem: MemoryFileSystem) {
  const fs = new FaultyFileSystem(mem);
  const engine = await Engine.open({ fs, dir: DIR, codec: lz4Codec, blockSize: 256, autoCompact: false });
  return { engine, fs };
}

async function all(engine: Engine, id = 't'): Promise<Cell[]> {
  return (await engine.scan(id, {}, { maxCells: 1_000_000 })).cells;
}

const rows = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => cell(`${prefix}${String(i).padStart(3, '0')}`, 'c', 1, `${prefix}${i}`));

describe('engine under disk faults', () => {
  for (const error of ['ENOSPC', 'EIO'] as const) {
    it(`${error} while writing a fragment: serialize fails, data stays readable, a retry succeeds`, async () => {
      const mem = new MemoryFileSystem();
      const { engine, fs } = await open(mem);
      await engine.createTablet({ id: 't', table: 'tb' });
      await engine.apply('tb', rows('a', 100));
      fs.addRule({ op: 'append', path: /\.frag\.tmp$/, nth: 2, error, partial: true });
      await expect(engine.serialize()).rejects.toMatchObject({ kind: 'io' });
      expect(show(await all(engine))).toEqual(show(rows('a', 100)));
      // No half-written fragment is left where the engine would load it.
      expect(engine.tabletSizes('t').fragments).toBe(0);
      await engine.apply('tb', rows('b', 10));
      await engine.serialize();
      // The frozen memory fragment that failed and the new one: a fragment each.
      expect(engine.tabletSizes('t').fragments).toBe(2);
      expect(engine.memoryBytes()).toBe(0);
      expect(show(await all(engine))).toEqual(show([...rows('a', 100), ...rows('b', 10)]));
      await engine.close();
      const again = await open(mem);
      expect(show(await all(again.engine))).toEqual(show([...rows('a', 100), ...rows('b', 10)]));
      await again.engine.close();
    });

    it(`${error} on the log: the write is refused, later writes too, reopen keeps every acknowledged write`, async () => {
      const mem = new MemoryFileSystem();
      const { engine, fs } = await open(mem);
      await engine.createTablet({ id: 't', table: 'tb' });
      await engine.apply('tb', rows('a', 20));
      fs.addRule({ op: 'sync', path: /\/log\//, error });
      await expect(engine.apply('tb', rows('b', 5))).rejects.toMatchObject({ kind: 'io' });
      // A log that may have a hole accepts nothing more.
      await expect(engine.apply('tb', rows('c', 5))).rejects.toBeTruthy();
      mem.crash();
      const again = await open(mem);
      const got = show(await all(again.engine));
      // Acknowledged writes are all there; the refused ones may or may not be.
      for (const c of show(rows('a', 20))) expect(got).toContain(c);
      for (const c of got) expect([...show(rows('a', 20)), ...show(rows('b', 5))]).toContain(c);
      await again.engine.close();
    });

    it(`${error} while saving the manifest: the swap is not lost on reopen`, async () => {
      const mem = new MemoryFileSystem();
      const { engine, fs } = await open(mem);
      await engine.createTablet({ id: 't', table: 'tb' });
      await engine.apply('tb', rows('a', 50));
      fs.addRule({ op: 'writeFileAtomic', error });
      await expect(engine.serialize()).rejects.toMatchObject({ kind: 'io' });
      mem.crash();
      const again = await open(mem);
      expect(show(await all(again.engine))).toEqual(show(rows('a', 50)));
      await again.engine.serialize();
      await again.engine.close();
      const third = await open(mem);
      expect(show(await all(third.engine))).toEqual(show(rows('a', 50)));
      await third.engine.close();
    });
  }

  it('a flipped bit in a fragment block is DATA corruption naming the file and block', async () => {
    const mem = new MemoryFileSystem();
    const { engine } = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    await engine.apply('tb', rows('a', 200));
    await engine.serialize();
    await engine.close();
    const dir = `${DIR}/tables/tb/t/default`; // the default locality group's chain
    const [name] = (await mem.list(dir)).filter((f) => f.endsWith('.frag'));
    const path = `${dir}/${name}`;
    const data = Buffer.from(await mem.readFile(path));
    data[40]! ^= 0x10; // inside the first data block
    await mem.writeFileAtomic(path, data);
    const again = await open(mem);
    const err = await all(again.engine).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(err, 'corruption')).toBe(true);
    expect(String((err as Error).message)).toContain(name);
    expect(String((err as Error).message)).toMatch(/block 0/);
    await again.engine.close();
  });
});
