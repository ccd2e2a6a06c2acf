import { describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import { decodeManifest, encodeManifest, type Manifest, manifestFragments } from './manifest.js';

const json = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('manifest', () => {
  it('round-trips version 4: groups, per-group chains (absolute references too), legacy in priority order, released files, publication', () => {
    const m: Manifest = {
      nextFragmentId: 9,
      logFloor: 3,
      tablets: [
        {
          id: 't',
          table: 'tb',
          lower: undefined,
          upper: Buffer.from('m'),
          groups: [
            { name: 'hot', families: ['a'], inMemory: true, compression: 'none', blockSize: 4096, purge: { maxHistory: 1 } },
            { name: 'rest', families: '*' },
          ],
          chains: { hot: ['tables/tb/t/hot/00000001.frag'], rest: ['/other/disk/kdi/tables/tb/t/rest/00000007.frag'] },
          legacy: [
            { fragment: 'tables/tb/t/default/00000003.frag', inMemory: false },
            { fragment: 'tables/tb/t/00000002.frag', inMemory: true },
          ],
        },
      ],
      released: ['tables/tb/old/default/00000004.frag'],
      publication: {
        logFloor: 2,
        published: { t: { may: ['tables/tb/t/rest/00000005.frag'], confirmed: null, table: 'tb', lower: null, upper: Buffer.from('m').toString('base64') } },
      },
    };
    const back = decodeManifest(encodeManifest(m), 'M');
    expect(back).toEqual({ ...m, tablets: [{ ...m.tablets[0]!, upper: Buffer.from('m') }] });
    expect(JSON.parse(Buffer.from(encodeManifest(m)).toString()).version).toBe(4);
    // A file META may still name is not an orphan.
    expect([...manifestFragments(back)].sort()).toEqual([
      '/other/disk/kdi/tables/tb/t/rest/00000007.frag',
      'tables/tb/t/00000002.frag',
      'tables/tb/t/default/00000003.frag',
      'tables/tb/t/hot/00000001.frag',
      'tables/tb/t/rest/00000005.frag',
    ]);
    // The first version-4 layout (a bare list per tablet) still reads: nothing confirmed, identity from the tablet entry.
    const early = decodeManifest(
      json({ ...JSON.parse(Buffer.from(encodeManifest(m)).toString()), publication: { logFloor: 2, published: { t: ['tables/tb/t/rest/00000005.frag'] } } }),
      'M',
    );
    expect(early.publication?.published['t']).toEqual({
      may: ['tables/tb/t/rest/00000005.frag'],
      confirmed: null,
      table: 'tb',
      lower: null,
      upper: Buffer.from('m').toString('base64'),
    });
    const v3 = decodeManifest(json({ ...JSON.parse(Buffer.from(encodeManifest(m)).toString()), version: 3, publication: undefined }), 'M');
    expect(v3.publication).toBeUndefined();
  });

  it('reads version 1 as one wildcard group "default" holding the old chain, purge and inMemory', () => {
    const v1 = {
      format: 'kdi-manifest',
      version: 1,
      nextFragmentId: 5,
      logFloor: 2,
      tablets: [
        { id: 't', table: 'tb', lower: null, upper: null, purge: { maxHistory: 2 }, inMemory: true, fragments: ['tables/tb/t/00000001.frag', 'tables/tb/t/00000004.frag'] },
      ],
    };
    expect(decodeManifest(json(v1), 'M').tablets[0]).toEqual({
      id: 't',
      table: 'tb',
      lower: undefined,
      upper: undefined,
      groups: [{ name: 'default', families: '*', purge: { maxHistory: 2 }, inMemory: true }],
      chains: { default: ['tables/tb/t/00000001.frag', 'tables/tb/t/00000004.frag'] },
      legacy: [],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not valid JSON/],
    ['version 5', { format: 'kdi-manifest', version: 5, nextFragmentId: 1, logFloor: 0, tablets: [] }, /not a version 1, 2, 3 or 4/],
    [
      'bad publication',
      { format: 'kdi-manifest', version: 4, nextFragmentId: 1, logFloor: 0, tablets: [], released: [], publication: { logFloor: 'x', published: {} } },
      /"publication" must be/,
    ],
    [
      'bad published list',
      { format: 'kdi-manifest', version: 4, nextFragmentId: 1, logFloor: 0, tablets: [], released: [], publication: { logFloor: 0, published: { t: 'x' } } },
      /publication of tablet t must be/,
    ],
    ['released not a list', { format: 'kdi-manifest', version: 3, nextFragmentId: 1, logFloor: 0, tablets: [], released: 'x' }, /"released" is not a list/],
    [
      'bad groups',
      {
        format: 'kdi-manifest',
        version: 2,
        nextFragmentId: 1,
        logFloor: 0,
        tablets: [
          {
            id: 't',
            table: 'tb',
            groups: [
              { name: 'a', families: '*' },
              { name: 'b', families: '*' },
            ],
            chains: {},
          },
        ],
      },
      /bad locality groups.*groups\[1\]\.families/,
    ],
    [
      'chain of an unknown group',
      { format: 'kdi-manifest', version: 2, nextFragmentId: 1, logFloor: 0, tablets: [{ id: 't', table: 'tb', groups: [{ name: 'a', families: '*' }], chains: { b: [] } }] },
      /chain for unknown group "b"/,
    ],
    [
      'malformed legacy',
      { format: 'kdi-manifest', version: 2, nextFragmentId: 1, logFloor: 0, tablets: [{ id: 't', table: 'tb', groups: [{ name: 'a', families: '*' }], chains: {}, legacy: [{}] }] },
      /malformed legacy entry/,
    ],
  ])('refuses %s as corruption naming the file', (_what, doc, message) => {
    let err: unknown;
    try {
      decodeManifest(typeof doc === 'string' ? Buffer.from(doc) : json(doc), '/disk/MANIFEST');
    } catch (e) {
      err = e;
    }
    expect(isStorageError(err, 'corruption')).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as { path?: string }).path).toBe('/disk/MANIFEST');
  });
});
