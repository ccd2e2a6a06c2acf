// The state file's format and its atomic replacement: what a crash or a
// full disk at each point of a write leaves behind, and what open makes of
// it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectKdiError } from '../store-conformance.js';
import { EmbeddedLockStore } from './embedded-lock-store.js';
import { decodeState, encodeState, STATE_FILE_NAME, STATE_TEMP_FILE_NAME } from './state-file.js';
import { FaultyStateFileSystem } from './testing/faulty-state-file-system.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const FAST = { minTtlMs: 100, maxTtlMs: 200, lockDelayMs: 100 };

let dataDir: string;
let stateFile: string;
const open: EmbeddedLockStore[] = [];
async function openStore(fileSystem?: FaultyStateFileSystem): Promise<EmbeddedLockStore> {
  const store = await EmbeddedLockStore.open({ dataDir, limits: FAST, ...(fileSystem && { fileSystem }) });
  open.push(store);
  return store;
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kdi-lock-state-'));
  stateFile = join(dataDir, STATE_FILE_NAME);
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('state file format', () => {
  it('round-trips the revision and binary file contents', () => {
    const state = {
      revision: 42,
      files: [
        { path: '/a/b', generation: 7, contents: Uint8Array.of(0, 255, 10) },
        { path: '/e', generation: 42, contents: new Uint8Array() },
      ],
    };
    const decoded = decodeState(encodeState(state), 'f');
    expect(decoded.revision).toBe(42);
    expect(decoded.files.map((f) => ({ ...f, contents: Array.from(f.contents) }))).toEqual(state.files.map((f) => ({ ...f, contents: Array.from(f.contents) })));
  });

  it.each([
    ['not JSON', (s: string) => s.slice(0, s.length / 2)],
    ['empty', () => ''],
    ['another format', (s: string) => s.replace('kdi-lock-state', 'something-else')],
    ['a newer version', (s: string) => s.replace('"version":1', '"version":2')],
    ['a flipped byte in the contents', (s: string) => s.replace('"contents":"aGVsbG8="', '"contents":"aGVsbG9="')],
    ['a changed generation', (s: string) => s.replace(/"generation":(\d+)/, (_, g: string) => `"generation":${Number(g) - 1}`)],
    ['a bad path', (s: string) => s.replace('"/keep"', '"/../keep"')],
  ])('refuses to open a state file with %s, naming the file and leaving it alone', async (_what, corrupt) => {
    const store = await openStore();
    await store.createFile('/keep', text('hello'));
    await store.close();
    const damaged = corrupt(readFileSync(stateFile, 'utf8'));
    writeFileSync(stateFile, damaged);
    const e = await expectKdiError(EmbeddedLockStore.open({ dataDir, limits: FAST }), 'DATA_CORRUPTION');
    expect(e.message).toContain(stateFile);
    expect(readFileSync(stateFile, 'utf8')).toBe(damaged);
  });
});

describe('atomic replacement', () => {
  it('a crash between the temp write and the rename leaves the old state loadable', async () => {
    const fs = new FaultyStateFileSystem();
    const store = await openStore(fs);
    const old = await store.createFile('/root', text('old'));
    fs.crashAt('rename');
    await expect(store.setContents('/root', text('new'))).rejects.toThrow();
    expect(existsSync(join(dataDir, STATE_TEMP_FILE_NAME))).toBe(true); // the dead process left it
    const reopened = await openStore();
    const read = await reopened.getFile('/root');
    expect(str(read.value.contents)).toBe('old');
    expect(read.value.generation).toBe(old.value.generation);
    expect(existsSync(join(dataDir, STATE_TEMP_FILE_NAME))).toBe(false);
  });

  it('a crash before the temp file is complete leaves the old state loadable', async () => {
    const store = await openStore();
    await store.createFile('/root', text('old'));
    writeFileSync(join(dataDir, STATE_TEMP_FILE_NAME), '{"format":"kdi-lock-st'); // torn temp write
    await store.close();
    expect(str((await (await openStore()).getFile('/root')).value.contents)).toBe('old');
  });

  it('a crash after the rename keeps the new state', async () => {
    const fs = new FaultyStateFileSystem();
    const store = await openStore(fs);
    await store.createFile('/root', text('old'));
    fs.crashAt('syncDirectory');
    await expect(store.setContents('/root', text('new'))).rejects.toThrow();
    expect(str((await (await openStore()).getFile('/root')).value.contents)).toBe('new');
  });
});

describe('failed writes', () => {
  it.each(['writeFileDurably', 'rename'] as const)('%s failing (ENOSPC) acknowledges nothing and changes nothing', async (op) => {
    const fs = new FaultyStateFileSystem();
    const store = await openStore(fs);
    const kept = await store.createFile('/kept', text('v1'));
    await store.createFile('/doomed', text('d'));
    const revision = (await store.status()).revision;
    fs.fail(op, 'ENOSPC', 3);
    const e = await expectKdiError(store.createFile('/new', text('x')), 'UNAVAILABLE');
    expect(e.message).toContain('ENOSPC');
    expect(e.message).toContain(stateFile);
    await expectKdiError(store.setContents('/kept', text('v2')), 'UNAVAILABLE');
    await expectKdiError(store.deleteFile('/doomed'), 'UNAVAILABLE');
    expect((await store.status()).revision).toBe(revision);
    expect((await store.readEvents(revision, 10)).events).toEqual([]);
    await expectKdiError(store.getFile('/new'), 'NOT_FOUND');
    expect((await store.getFile('/kept')).value).toMatchObject({ generation: kept.value.generation });
    expect(str((await store.getFile('/kept')).value.contents)).toBe('v1');
    await store.getFile('/doomed');
    expect(existsSync(join(dataDir, STATE_TEMP_FILE_NAME))).toBe(false);
    // The disk has room again: the same changes go through and persist.
    await store.createFile('/new', text('x'));
    await store.deleteFile('/doomed');
    await store.close();
    const reopened = await openStore();
    expect((await reopened.listChildren('/')).value.map((c) => c.path)).toEqual(['/kept', '/new']);
    expect(str((await reopened.getFile('/kept')).value.contents)).toBe('v1');
  });

  it('a failed directory fsync shows the change (it is in the file) but reports it UNAVAILABLE', async () => {
    const fs = new FaultyStateFileSystem();
    const store = await openStore(fs);
    fs.fail('syncDirectory', 'EIO');
    const e = await expectKdiError(store.createFile('/maybe', text('m')), 'UNAVAILABLE');
    expect(e.message).toContain('EIO');
    expect(str((await store.getFile('/maybe')).value.contents)).toBe('m');
    await store.close();
    expect(str((await (await openStore()).getFile('/maybe')).value.contents)).toBe('m');
  });

  it('ephemeral files and locks need no write', async () => {
    const fs = new FaultyStateFileSystem();
    const store = await openStore(fs);
    await store.createFile('/lock', text(''));
    const s = await store.openSession(1_000);
    fs.fail('writeFileDurably', 'ENOSPC', 1_000);
    await store.createFile('/eph', text('e'), { ephemeralOwner: s.sessionId });
    await store.setContents('/eph', text('f'));
    expect((await store.acquire({ sessionId: s.sessionId, path: '/lock', mode: 'exclusive', requestId: 'r' })).acquired).toBe(true);
    await store.closeSession(s.sessionId);
    await expectKdiError(store.getFile('/eph'), 'NOT_FOUND');
  });
});
