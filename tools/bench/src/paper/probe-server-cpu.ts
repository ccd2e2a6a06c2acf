// Diagnostic (issue 12; not a benchmark figure): the tablet server's CPU
// per Table API request, by request kind. One compiled tablet server
// (apps/tabletserver/dist/main.js, started alone, one tablet loaded by
// hand) and the SDK in single-server mode in this process with 16
// operations in flight (PROBE_LANES); for each kind, `ops` operations after a warm-up,
// and the server's CPU (user + system, /proc) divided by the operations.
// Kinds, in this order (reads first, on the freshly loaded rows): get
// (single-row get), scan-10 (a scan of 10 consecutive rows), set-1 /
// set-10 / set-100 (durable applies of 1, 10, 100 cells of 1000 B).
// Each kind runs `rounds` times; the lowest figure is printed (the least
// disturbed by other work on the machine), with the machine's load.
//   node --import tsx --conditions kdi-source src/paper/probe-server-cpu.ts [ops] [rounds]

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { connect, type Table } from '@kdi/client-sdk';
import { processCpuMs } from './cpu.js';
import { rowKey } from './keys.js';
import { startProbeServer } from './probe-server.js';

const ROWS = 4000;

/** CPU ms in the kernel (stime) of the process so far. */
function systemCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / 100) * 1000;
}
/** Operations in flight (PROBE_LANES; default 16). */
const LANES = Number(process.env['PROBE_LANES'] ?? 16);

type Op = (t: Table, i: number) => Promise<unknown>;

const randomRow = () => Math.floor(Math.random() * ROWS);

function setOf(cells: number): Op {
  return async (t) => {
    const start = Math.floor(Math.random() * (ROWS - cells));
    const w = t.writer();
    for (let k = 0; k < cells; k++) await w.set(rowKey(start + k), 'f:v', randomBytes(1000));
    await w.close();
  };
}

const KINDS: ReadonlyArray<[string, Op, number]> = [
  ['get', async (t) => t.get(rowKey(randomRow())), 1],
  [
    'scan-10',
    async (t) => {
      const start = Math.floor(Math.random() * (ROWS - 10));
      let n = 0;
      for await (const _ of t.scan(`'${rowKey(start)}' <= row < '${rowKey(start + 10)}' and history = 1`)) n++;
      return n;
    },
    10,
  ],
  ['set-1', async (t) => t.set(rowKey(randomRow()), 'f:v', randomBytes(1000)), 1],
  ['set-10', setOf(10), 10],
  ['set-100', setOf(100), 100],
];

async function run(t: Table, op: Op, ops: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (next < ops) await op(t, next++);
    }),
  );
}

async function main(): Promise<void> {
  const ops = Number(process.argv[2] ?? 4000);
  const rounds = Number(process.argv[3] ?? 3);
  const only = process.argv[4];
  const logLevel = process.env['PROBE_LOG_LEVEL'] ?? 'info';
  const nodeFlags = (process.env['PROBE_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const server = await startProbeServer({ nodeFlags, logLevel, stderr: 'drop' });
  const url = server.url;
  const kdi = await connect({ servers: [url], singleServer: true, connectionsPerServer: LANES + 2 });
  const t = kdi.table('probe');
  const w = t.writer();
  for (let i = 0; i < ROWS; i++) await w.set(rowKey(i), 'f:v', randomBytes(1000));
  await w.close();
  console.log(`log level ${logLevel}${nodeFlags.length > 0 ? `; node ${nodeFlags.join(' ')}` : ''}`);
  console.log(
    `load before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, op, cellsPerOp] of KINDS) {
    if (only !== undefined && !only.split(',').includes(name)) continue;
    const n = Math.max(200, Math.floor(ops / Math.sqrt(cellsPerOp)));
    await run(t, op, n); // warm-up: the JIT and the engine settle
    const figures: number[] = [];
    const systemShares: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const cpu0 = processCpuMs(server.pid);
      const sys0 = systemCpuMs(server.pid);
      await run(t, op, n);
      figures.push(((processCpuMs(server.pid) - cpu0) * 1000) / n);
      systemShares.push((systemCpuMs(server.pid) - sys0) / (processCpuMs(server.pid) - cpu0));
    }
    const best = Math.min(...figures);
    console.log(
      `${name.padEnd(8)} server CPU ${best.toFixed(0).padStart(5)} µs/request  ${(best / cellsPerOp).toFixed(1).padStart(6)} µs/cell  (rounds: ${figures.map((f) => f.toFixed(0)).join(' ')}; ${n} ops; system ${systemShares.map((f) => (f * 100).toFixed(0)).join(' ')} %)`,
    );
  }
  console.log(
    `load after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await kdi.close();
  await server.stop();
}

await main();
