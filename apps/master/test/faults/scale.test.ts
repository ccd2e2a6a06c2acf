// Scale (issue 9, "Tests"): three tablet servers and a master, on each lock
// backend; a table pre-split into 8 tablets through the master; 100 000
// cells written through the SDK's writer and read back exactly — the count
// and every cell's row, column and value, in row order.

import { connect, type KdiClient } from '@kdi/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call } from '../cluster.js';
import { BACKENDS, startFaultCluster, type FaultCluster } from './fault-cluster.js';

const CELLS = 100_000;
const row = (i: number) => `row-${String(i).padStart(6, '0')}`;
/** Seven split rows: eight tablets of 12 500 rows each. */
const SPLITS = Array.from({ length: 7 }, (_, k) => row((k + 1) * 12_500 - 1));

describe.each(BACKENDS)('scale, lock server on %s', (backend) => {
  let cluster: FaultCluster;
  let kdi: KdiClient | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({ backend });
  }, 400_000);

  afterAll(async () => {
    await kdi?.close();
    await cluster?.close();
  });

  it('writes 100k cells through the SDK into 8 tablets on 3 servers and reads them back exactly', async () => {
    const created = await call('POST', `${cluster.masterUrl}/v1/tables`, { name: 'scale', splits: SPLITS });
    expect(created.status).toBe(201);
    const d = await allServing(cluster.masterUrl, 'scale');
    expect(d.tablets).toHaveLength(8);
    // The least-loaded placement spreads eight tablets over all three servers.
    expect(new Set(d.tablets.map((t: { location: { serverId: string } }) => t.location.serverId))).toEqual(new Set(['ts1', 'ts2', 'ts3']));

    // Bootstrap from the master (it serves META's location); data goes to the tablet servers.
    kdi = await connect({ servers: [cluster.masterUrl], timeoutMs: 120_000 });
    const table = kdi.table('scale');
    const writer = table.writer({ maxBytes: 256 * 1024, maxInFlight: 4 });
    for (let i = 0; i < CELLS; i++) await writer.add({ row: row(i), column: 'f:c', value: `value-${i}` });
    await writer.close();
    expect(writer.written).toBe(CELLS);

    let n = 0;
    for await (const c of table.scan()) {
      const r = Buffer.from(c.row).toString();
      if (r !== row(n) || Buffer.from(c.column).toString() !== 'f:c' || Buffer.from(c.value!).toString() !== `value-${n}`) {
        throw new Error(`cell ${n}: expected ${row(n)} f:c value-${n}, got ${r} ${Buffer.from(c.column).toString()} ${Buffer.from(c.value ?? []).toString()}`);
      }
      n++;
    }
    expect(n).toBe(CELLS);
  }, 240_000);
});
