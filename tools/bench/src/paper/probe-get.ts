// Diagnostic for issue 12 (not a benchmark figure): where a single-row read
// spends its time. One process, one read at a time, against a fresh
// standalone cluster with one tablet server: `table.get(row)` through the
// SDK beside the same scan request sent by hand (undici, binary reply),
// with the client's CPU per read (process.cpuUsage), the server's CPU per
// read (/proc) and the scan requests per read (the server's /metrics).
//   node --import tsx --conditions kdi-source src/paper/probe-get.ts [reads] [mem]
// (`mem`: the table's one locality group is inMemory.)

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect } from '@kdi/client-sdk';
import { CELL_BLOCK_MIME_TYPE, decodeCellBlock, NO_LIMITS } from '@kdi/protocol';
import { Pool } from 'undici';
import { startStandalone } from '../common/standalone.js';
import { makeTempDir } from '../common/temp-dir.js';
import { processCpuMs } from './cpu.js';
import { rowKey } from './keys.js';

const ROWS = 2000;

async function scanRequests(tsUrl: string): Promise<number> {
  const text = await (await fetch(`${tsUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('tabletserver_http_requests_total') && line.includes('scan')) n += Number(line.split(' ').pop());
  return n;
}

async function main(): Promise<void> {
  const reads = Number(process.argv[2] ?? 3000);
  const inMemory = process.argv[3] === 'mem';
  const temp = await makeTempDir('kdi-probe-get');
  const cluster = await startStandalone({ dataDir: join(temp.path, 'kdi'), servers: 1 });
  try {
    const [tsName, tsUrl] = [...cluster.servers].find(([name]) => name.startsWith('tablet server'))!;
    const tsPid = cluster.pids.get(tsName)!;
    const kdi = await connect({ master: cluster.masterUrl });
    await kdi.admin.createTable('probe', inMemory ? { schema: { groups: [{ name: 'mem', families: '*', inMemory: true }] } } : {});
    const t = kdi.table('probe');
    const w = t.writer();
    for (let i = 0; i < ROWS; i++) await w.set(rowKey(i), 'f:v', randomBytes(1000));
    await w.close();
    const pool = new Pool(tsUrl, { connections: 2 });
    const rawGet = async (row: string) => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/tables/probe/scan',
        headers: { 'content-type': 'application/json', accept: CELL_BLOCK_MIME_TYPE },
        body: JSON.stringify({ predicate: `row = '${row}' and history = 1` }),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) throw new Error(body.toString());
      return decodeCellBlock(body, { limits: NO_LIMITS });
    };
    const measure = async (label: string, get: (row: string) => Promise<unknown[]>) => {
      for (let i = 0; i < 500; i++) await get(rowKey(i)); // warm
      const req0 = await scanRequests(tsUrl);
      const srv0 = processCpuMs(tsPid);
      const cpu0 = process.cpuUsage();
      const lat: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < reads; i++) {
        const s = performance.now();
        const cells = await get(rowKey((i * 7919) % ROWS));
        lat.push(performance.now() - s);
        if (cells.length !== 1) throw new Error(`${label}: ${cells.length} cells`);
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const srv = processCpuMs(tsPid) - srv0;
      const req = (await scanRequests(tsUrl)) - req0;
      lat.sort((a, b) => a - b);
      console.log(
        `${label.padEnd(14)} ${((reads / wall) * 1000).toFixed(0).padStart(6)} reads/s serial  p50 ${lat[lat.length >> 1]!.toFixed(3)} ms  ` +
          `client CPU ${(((cpu.user + cpu.system) / reads) | 0).toString().padStart(4)} µs/read  server CPU ${((srv * 1000) / reads).toFixed(0)} µs/read  scan requests/read ${(req / reads).toFixed(2)}`,
      );
    };
    await measure('raw request', rawGet);
    await measure('SDK get', (row) => t.get(row));
    await measure('raw request', rawGet);
    await measure('SDK get', (row) => t.get(row));
    await pool.close();
    await kdi.close();
  } finally {
    await cluster.stop();
    await temp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
