import { encodeSchemaColumns, tableRowKey, tabletConfigCells, type MetaCell, type TabletConfig } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from './catalog.js';
import { schemaCells, stateCell } from '../tables/table-row-cells.js';

const tablet = (table: string, lower: string | undefined, upper: string | undefined, epoch?: number): TabletConfig => ({
  table,
  lowerExclusive: lower === undefined ? undefined : Buffer.from(lower),
  upperInclusive: upper === undefined ? undefined : Buffer.from(upper),
  location: epoch === undefined ? undefined : { serverId: 'ts1', url: 'http://ts1', epoch },
  logs: [],
  fragments: { default: [`/d/${table}/${upper ?? 'last'}.frag`] },
  state: epoch === undefined ? undefined : 'serving',
});

function sorted(cells: MetaCell[]): MetaCell[] {
  return cells.sort((a, b) => Buffer.compare(a.row, b.row) || Buffer.compare(a.column, b.column));
}

describe('the catalog', () => {
  it('groups table rows and tablet rows by table, in row order, with the largest epoch', () => {
    const schema = { groups: [{ name: 'default', families: '*' as const, compression: 'none' as const, blockSize: 65536, inMemory: false, purge: {} }] };
    const cells = sorted([
      ...schemaCells('a', schema as never, []),
      stateCell('a', 'active'),
      ...tabletConfigCells(tablet('a', undefined, 'm', 3)),
      ...tabletConfigCells(tablet('a', 'm', undefined, 7)),
      stateCell('b', 'deleting'),
      ...tabletConfigCells(tablet('b', undefined, undefined)),
    ]);
    const c = buildCatalog(cells, 42);
    expect(c.txn).toBe(42);
    expect(c.maxEpoch).toBe(7);
    const a = c.tables.get('a')!;
    expect(a.row?.state).toBe('active');
    expect(a.row?.schema?.groups.map((g) => g.name)).toEqual(['default']);
    expect(a.tablets.map((t) => t.upperInclusive?.toString() ?? null)).toEqual(['m', null]);
    expect(c.tables.get('b')?.row).toMatchObject({ state: 'deleting', schema: undefined });
  });

  it('skips erased rows, and erases schema columns a new schema does not have', () => {
    const row = tableRowKey('a');
    const erased: MetaCell[] = [{ row, column: Buffer.from('state:'), timestamp: 0, value: null }];
    expect(buildCatalog(erased, 1).tables.size).toBe(0);
    const old = encodeSchemaColumns({ groups: [{ name: 'x', families: ['f'], compression: 'none', blockSize: 65536, inMemory: false, purge: {} }] } as never).map((c) => c.column);
    const cells = schemaCells('a', undefined, [...old, 'state:']);
    expect(cells.every((c) => c.value === null)).toBe(true);
    expect(cells.map((c) => c.column.toString())).toEqual(old);
  });
});
