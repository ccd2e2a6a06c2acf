import { LockClient } from '../lock/lock-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '../test-support/index.js';
import { parseRoot, readRoot, ROOT_PATH, writeRoot } from './root-file.js';

let server: RunningLockServer;
let client: LockClient;
beforeAll(async () => {
  server = await startEmbeddedLockServer();
  client = new LockClient({ url: server.url });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

describe('the root file', () => {
  it('is created once, then changed only by compare-and-set', async () => {
    expect(await readRoot(client)).toBeUndefined();
    const config = {
      location: { serverId: 'ts-1', url: 'http://127.0.0.1:7201', epoch: 1 },
      logs: [{ dir: '/d/ts-1/log', fromSegment: 3 }],
      fragments: { default: ['/d/ts-1/META/1.frag'] },
    };
    const g1 = await writeRoot(client, config, undefined);
    await expect(writeRoot(client, config, undefined)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await readRoot(client)).toEqual({ config, generation: g1 });
    const moved = { ...config, location: { serverId: 'ts-2', url: 'http://127.0.0.1:7202', epoch: 2 } };
    const g2 = await writeRoot(client, moved, g1);
    expect(g2).toBeGreaterThan(g1);
    // A writer that read before the move loses, and the root is unchanged.
    await expect(writeRoot(client, config, g1)).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await readRoot(client))?.config.location?.serverId).toBe('ts-2');
  });

  it('keeps a move of META in progress (state: migrating), and reads roots written before the state existed', async () => {
    const root = (await readRoot(client))!;
    const g = await writeRoot(client, { ...root.config, state: 'migrating' }, root.generation);
    expect(await readRoot(client)).toEqual({ config: { ...root.config, state: 'migrating' }, generation: g });
    await writeRoot(client, { ...root.config, state: undefined }, g);
    expect((await readRoot(client))?.config).toEqual(root.config);
    expect(parseRoot('{"location":null,"logs":[],"fragments":{}}')).toEqual({ location: undefined, logs: [], fragments: {} });
    expect(() => parseRoot('{"state":"moving"}')).toThrow(/state must be/);
  });

  it('refuses malformed contents with a message naming the file', async () => {
    expect(() => parseRoot('{')).toThrow(`${ROOT_PATH} is malformed: not JSON`);
    expect(() => parseRoot('{"location":{"serverId":"x"}}')).toThrow(/location must be/);
    expect(() => parseRoot('{"fragments":{"g":[1]}}')).toThrow(/fragments.g/);
    expect(parseRoot('')).toEqual({ location: undefined, logs: [], fragments: {} });
  });
});
