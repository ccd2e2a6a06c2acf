import { describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { fsErrorCode } from './fs-error.js';
import { MemoryFileSystem } from './memory-file-system.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function setup() {
  const mem = new MemoryFileSystem();
  await mem.mkdir('/d');
  return { mem, fs: new FaultyFileSystem(mem) };
}

describe('FaultyFileSystem', () => {
  it('fails the nth matching operation once, as an io error with the errno in cause.code', async () => {
    const { fs } = await setup();
    const w = await fs.openWrite('/d/f', 'create-new');
    fs.addRule({ op: 'sync', nth: 2, error: 'EIO' });
    await w.append(bytes('a'));
    await w.sync();
    await w.append(bytes('b'));
    const err = await errorOf(w.sync());
    expect(isStorageError(err, 'io')).toBe(true);
    expect(fsErrorCode(err)).toBe('EIO');
    expect((err as Error).message).toContain('/d/f');
    await w.sync();
    expect(fs.count('sync')).toBe(3);
    expect(fs.injected).toBe(1);
  });

  it('matches paths by regex (either side of a rename)', async () => {
    const { fs } = await setup();
    fs.addRule({ path: /\.log$/, times: Infinity, error: 'EIO' });
    await fs.writeFileAtomic('/d/meta', bytes('m'));
    expect(fsErrorCode(await errorOf(fs.writeFileAtomic('/d/1.log', bytes('x'))))).toBe('EIO');
    expect(fsErrorCode(await errorOf(fs.openWrite('/d/2.log', 'create-new')))).toBe('EIO');
    expect(fsErrorCode(await errorOf(fs.rename('/d/meta', '/d/3.log')))).toBe('EIO');
    expect(await fs.list('/d')).toEqual(['meta']);
  });

  it('persistent rules fail every matching operation until removed', async () => {
    const { fs } = await setup();
    const w = await fs.openWrite('/d/f', 'create-new');
    const remove = fs.addRule({ op: 'append', nth: 3, times: Infinity, error: 'ENOSPC' });
    await w.append(bytes('1'));
    await w.append(bytes('2'));
    for (let i = 0; i < 5; i++) expect(fsErrorCode(await errorOf(w.append(bytes('x'))))).toBe('ENOSPC');
    remove();
    await w.append(bytes('3'));
    await w.sync();
    expect(text(await fs.readFile('/d/f'))).toBe('123');
  });

  it('a partial append writes a prefix before failing with ENOSPC', async () => {
    const { fs, mem } = await setup();
    const w = await fs.openWrite('/d/f', 'create-new');
    fs.addRule({ op: 'append', error: 'ENOSPC', partial: true });
    expect(fsErrorCode(await errorOf(w.append(bytes('abcdefgh'))))).toBe('ENOSPC');
    expect(text(await mem.readFile('/d/f'))).toBe('abcd');
    expect(w.size).toBe(4);
    fs.addRule({ op: 'append', error: 'ENOSPC', partial: 1 });
    await errorOf(w.append(bytes('xyz')));
    expect(text(await mem.readFile('/d/f'))).toBe('abcdx');
  });

  it('counts operations and their peak concurrency; delays slow them down', async () => {
    const { fs } = await setup();
    fs.setDelay('stat', 5);
    await fs.writeFileAtomic('/d/f', bytes('x'));
    await Promise.all([fs.stat('/d/f'), fs.stat('/d/f'), fs.exists('/d/f')]);
    expect(fs.opStats('stat')).toEqual({ count: 3, inFlight: 0, maxInFlight: 3 });
    await fs.stat('/d/f');
    expect(fs.opStats('stat').maxInFlight).toBe(3);
    fs.resetCounters();
    expect(fs.count('stat')).toBe(0);
  });

  it('clearRules stops all injection; a failed close still releases the handle', async () => {
    const { fs } = await setup();
    fs.addRule({ op: 'close', error: 'EIO' });
    fs.addRule({ op: 'readFile', times: Infinity, error: 'EIO' });
    const w = await fs.openWrite('/d/f', 'create-new');
    expect(fsErrorCode(await errorOf(w.close()))).toBe('EIO');
    expect(isStorageError(await errorOf(w.append(bytes('x'))), 'closed')).toBe(true);
    fs.clearRules();
    expect((await fs.readFile('/d/f')).length).toBe(0);
  });
});
