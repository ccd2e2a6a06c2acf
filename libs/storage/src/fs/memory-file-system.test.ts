import { describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import { expectBytes } from './file-system-conformance.js';
import { MemoryFileSystem } from './memory-file-system.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('MemoryFileSystem crash model', () => {
  it('loses unsynced appends and keeps synced ones', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const synced = await fs.openWrite('/d/synced', 'create-new');
    await synced.append(bytes('kept'));
    await synced.sync();
    const unsynced = await fs.openWrite('/d/unsynced', 'create-new');
    await unsynced.append(bytes('lost'));
    expect(fs.totalBytes()).toBe(8);
    expect(fs.durableBytes()).toBe(4);
    fs.crash();
    expect(text(await fs.readFile('/d/synced'))).toBe('kept');
    // The file was created (a durable metadata op) but its bytes were not synced.
    expect(await fs.stat('/d/unsynced')).toEqual({ size: 0, isDirectory: false });
  });

  it('reverts a partially synced file to its last sync point', async () => {
    const fs = new MemoryFileSystem();
    const w = await fs.openWrite('/f', 'create-new');
    await w.append(bytes('one,'));
    await w.sync();
    await w.append(bytes('two,'));
    await w.sync();
    await w.append(bytes('three'));
    await w.truncate(2);
    await w.append(bytes('xx'));
    expect(text(await fs.readFile('/f'))).toBe('onxx');
    fs.crash();
    expect(text(await fs.readFile('/f'))).toBe('one,two,');
  });

  it('a synced truncate survives; an unsynced one does not', async () => {
    const fs = new MemoryFileSystem();
    const w = await fs.openWrite('/f', 'create-new');
    await w.append(bytes('0123456789'));
    await w.sync();
    await w.truncate(3);
    fs.crash();
    expect(text(await fs.readFile('/f'))).toBe('0123456789');
    const w2 = await fs.openWrite('/f', 'append');
    await w2.truncate(3);
    await w2.append(bytes('abc'));
    await w2.sync();
    fs.crash();
    expect(text(await fs.readFile('/f'))).toBe('012abc');
    const t = await fs.openWrite('/f', 'truncate');
    await t.close();
    fs.crash();
    expect(text(await fs.readFile('/f'))).toBe('012abc');
  });

  it('writeFileAtomic leaves the old or the new content across a crash, never a mix', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/m', bytes('old contents'));
    const pending = fs.writeFileAtomic('/m', bytes('new'));
    fs.crash();
    await pending;
    expect(['old contents', 'new']).toContain(text(await fs.readFile('/m')));
    await fs.writeFileAtomic('/m', bytes('newer'));
    fs.crash();
    expect(text(await fs.readFile('/m'))).toBe('newer');
  });

  it('a renamed file carries its synced bytes; unsynced ones are lost', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/a');
    await fs.mkdir('/b');
    const w = await fs.openWrite('/a/f', 'create-new');
    await w.append(bytes('synced'));
    await w.sync();
    await w.append(bytes('+unsynced'));
    await fs.rename('/a/f', '/b/g');
    fs.crash();
    expect(await fs.list('/a')).toEqual([]);
    expect(text(await fs.readFile('/b/g'))).toBe('synced');
  });

  it('crash can keep a prefix of unsynced appends (pages that reached the disk)', async () => {
    const fs = new MemoryFileSystem();
    const a = await fs.openWrite('/a', 'create-new');
    await a.append(bytes('synced|'));
    await a.sync();
    await a.append(bytes('unsynced'));
    const b = await fs.openWrite('/b', 'create-new');
    await b.append(bytes('0123456789'));
    await b.sync();
    await b.truncate(2); // not a pure append: reverts to the synced bytes whatever is asked
    await b.append(bytes('zz'));
    const asked: [string, number][] = [];
    fs.crash((path, unsynced) => {
      asked.push([path, unsynced]);
      return 3;
    });
    expect(asked).toEqual([['/a', 8]]);
    expect(text(await fs.readFile('/a'))).toBe('synced|uns');
    expect(text(await fs.readFile('/b'))).toBe('0123456789');
    fs.crash();
    expect(text(await fs.readFile('/a'))).toBe('synced|uns');
  });

  it('metadata operations are durable at once', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/x/y');
    await fs.writeFileAtomic('/x/gone', bytes('z'));
    await fs.unlink('/x/gone');
    fs.crash();
    expect(await fs.list('/x')).toEqual(['y']);
  });

  it('invalidates every open handle on crash', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFileAtomic('/r', bytes('abc'));
    const r = await fs.openRead('/r');
    const w = await fs.openWrite('/w', 'create-new');
    fs.crash();
    const isClosed = (e: unknown) => isStorageError(e, 'closed');
    await expect(r.read(0, 3)).rejects.toSatisfy(isClosed);
    await expect(w.append(bytes('x'))).rejects.toSatisfy(isClosed);
    await expect(w.sync()).rejects.toSatisfy(isClosed);
    await expect(w.truncate(0)).rejects.toSatisfy(isClosed);
    // New handles work after the crash.
    const w2 = await fs.openWrite('/w', 'append');
    await w2.append(bytes('ok'));
    expect(text(await fs.readFile('/w'))).toBe('ok');
  });

  it('a random sequence of appends, syncs and crashes keeps exactly the synced prefix', async () => {
    // Model: the durable bytes are those present at the last sync.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const fs = new MemoryFileSystem();
    let w = await fs.openWrite('/f', 'create-new');
    let live: number[] = [];
    let durable: number[] = [];
    for (let step = 0; step < 2000; step++) {
      const op = rand(10);
      if (op < 6) {
        const chunk = Array.from({ length: rand(300) }, () => rand(256));
        await w.append(Uint8Array.from(chunk));
        live = live.concat(chunk);
      } else if (op < 8) {
        await w.sync();
        durable = live.slice();
      } else if (op < 9) {
        const len = rand(live.length + 1);
        await w.truncate(len);
        live = live.slice(0, len);
      } else {
        fs.crash();
        live = durable.slice();
        w = await fs.openWrite('/f', 'append');
      }
      if (step % 50 === 0) expectBytes(await fs.readFile('/f'), Uint8Array.from(live));
    }
    fs.crash();
    expectBytes(await fs.readFile('/f'), Uint8Array.from(durable));
  });
});
