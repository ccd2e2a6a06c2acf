// Diagnostic (issue 12): a CPU profile of one tablet server (the compiled
// apps/tabletserver/dist/main.js, started alone with --cpu-prof, one tablet
// loaded by hand, the SDK in single-server mode in this process) while 16
// single-row gets (or durable single-cell sets) are in flight for
// `seconds` over 4000 rows of 1000 B (or whole-table scans: `scan`, counting cells); the .cpuprofile files land in DIR
// (open them in Chrome DevTools or speedscope; DIR '-': no profile).
// PROBE_LANES sets the calls in flight (16), PROBE_ROWS the rows (4000),
// PROBE_VALUE_BYTES their size (1000); PROBE_COALESCE=0 turns the SDK's
// call coalescing off.
//   node --import tsx --conditions kdi-source src/paper/probe-profile.ts DIR [seconds] [get|set|scan]

import { randomBytes } from 'node:crypto';
import { connect } from '@kdi/client-sdk';
import { rowKey } from './keys.js';
import { startProbeServer } from './probe-server.js';

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const seconds = Number(process.argv[3] ?? 10);
  const op = process.argv[4] ?? 'get';
  const lanes = Number(process.env['PROBE_LANES'] ?? 16);
  const rows = Number(process.env['PROBE_ROWS'] ?? 4000);
  const valueBytes = Number(process.env['PROBE_VALUE_BYTES'] ?? 1000);
  const coalesceCalls = process.env['PROBE_COALESCE'] !== '0';
  const server = await startProbeServer({ nodeFlags: dir === '-' ? [] : ['--cpu-prof', '--cpu-prof-dir', dir], stderr: 'inherit' });
  const url = server.url;
  const kdi = await connect({ servers: [url], singleServer: true, connectionsPerServer: lanes + 2, coalesceCalls });
  const t = kdi.table('probe');
  const w = t.writer();
  for (let i = 0; i < rows; i++) await w.set(rowKey(i), 'f:v', randomBytes(valueBytes));
  await w.close();
  let n = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < deadline) {
        const row = rowKey(Math.floor(Math.random() * rows));
        const t0 = performance.now();
        if (op === 'scan') {
          // A whole-table scan in pages of 1000 cells: n counts cells.
          for await (const page of t.scanPages('history = 1', { pageCells: Number(process.env['PROBE_PAGE_CELLS'] ?? 1000) })) n += page.cells.length;
          latencies.push(performance.now() - t0);
          continue;
        }
        if (op === 'get') await t.get(row);
        else await t.set(row, 'f:v', randomBytes(valueBytes));
        latencies.push(performance.now() - t0);
        n++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * q) / 100))]!.toFixed(2);
  console.log(`${op}: ${((n / seconds) | 0).toString()} ops/s, ${lanes} in flight${coalesceCalls ? '' : ', not coalesced'}; p50 ${p(50)} ms, p99 ${p(99)} ms`);
  await kdi.close();
  await server.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
