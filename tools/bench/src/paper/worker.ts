// A client process of `bench:paper` (forked by clients.ts): connects to KDI
// through the SDK (`connect({ master })`) or to Redis through ioredis, then
// runs the phases its parent sends. Each of `concurrency` lanes takes a
// whole key range from the phase's list and walks it one operation at a
// time, awaiting each: KDI writes are `table.set` (one cell, the SDK's
// default waitForSync: durable before the reply), reads are `table.get`
// (one row) — the SDK coalesces the lanes' concurrent calls into shared
// requests unless --no-coalesce, scans are `table.scanPages` of the range with history = 1;
// Redis writes are SET, reads GET (the server runs appendfsync always).

import { randomBytes } from 'node:crypto';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { Redis } from 'ioredis';
import { rowKey, rowOf, type KeyRange } from './keys.js';
import type { DoneMessage, InitMessage, ParentMessage, RunMessage, WorkerMessage } from './messages.js';

const COLUMN = 'f:v';

interface Lanes {
  write(table: string, row: string, value: Buffer): Promise<void>;
  /** The value's length, or −1 when the row has none. */
  read(table: string, row: string): Promise<number>;
  /** Scans [start, end) of the table; calls `page` after each page with its cells; the page latencies. */
  scan(table: string, start: string, end: string, onPage: (cells: number, ms: number) => void): Promise<void>;
  close(): Promise<void>;
}

function send(m: WorkerMessage): void {
  process.send!(m);
}

async function kdiLanes(master: string, concurrency: number, coalesceCalls: boolean): Promise<Lanes> {
  const kdi: KdiClient = await connect({ master, connectionsPerServer: concurrency + 2, coalesceCalls });
  return {
    async write(table, row, value) {
      await kdi.table(table).set(row, COLUMN, value);
    },
    async read(table, row) {
      const cells = await kdi.table(table).get(row);
      return cells.length === 1 ? (cells[0]!.value?.length ?? -1) : -1;
    },
    async scan(table, start, end, onPage) {
      let t0 = performance.now();
      for await (const page of kdi.table(table).scanPages(`'${start}' <= row < '${end}' and history = 1`, { pageCells: 10_000 })) {
        const t1 = performance.now();
        onPage(page.cells.length, t1 - t0);
        t0 = t1;
      }
    },
    close: () => kdi.close(),
  };
}

async function redisLanes(port: number, concurrency: number): Promise<Lanes> {
  // One connection per lane, as the SDK keeps a socket per request in flight.
  const conns = Array.from({ length: concurrency }, () => new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableAutoPipelining: false }));
  await Promise.all(conns.map((c) => c.connect()));
  let next = 0;
  const pick = () => conns[next++ % conns.length]!;
  return {
    async write(prefix, row, value) {
      await pick().set(`${prefix}:${row}`, value);
    },
    async read(prefix, row) {
      const v = await pick().getBuffer(`${prefix}:${row}`);
      return v === null ? -1 : v.length;
    },
    scan() {
      return Promise.reject(new Error('scans are not run against Redis'));
    },
    async close() {
      await Promise.all(conns.map((c) => c.quit()));
    },
  };
}

async function runPhase(lanes: Lanes, init: InitMessage, run: RunMessage): Promise<DoneMessage> {
  const latencies: number[] = [];
  let values = 0;
  let missing = 0;
  const queue: KeyRange[] = [...run.ranges];
  const lane = async () => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
      if (run.op === 'scan') {
        await lanes.scan(run.table, rowKey(r.start), rowKey(r.end), (cells, ms) => {
          values += cells;
          latencies.push(ms);
        });
        continue;
      }
      for (let i = r.start; i < r.end; i++) {
        const row = rowKey(rowOf(i, run.order, run.rows, run.seed));
        const t0 = performance.now();
        if (run.op === 'write') await lanes.write(run.table, row, randomBytes(init.valueBytes));
        else if ((await lanes.read(run.table, row)) !== init.valueBytes) missing++;
        latencies.push(performance.now() - t0);
        values++;
      }
    }
  };
  await Promise.all(Array.from({ length: init.concurrency }, lane));
  return { type: 'done', values, missing, latencies: Float64Array.from(latencies) };
}

let init: InitMessage | undefined;
let lanes: Lanes | undefined;

process.on('message', (m: ParentMessage) => {
  void (async () => {
    try {
      if (m.type === 'init') {
        init = m;
        lanes = m.target.kind === 'kdi' ? await kdiLanes(m.target.master, m.concurrency, m.target.coalesceCalls) : await redisLanes(m.target.port, m.concurrency);
        send({ type: 'ready' });
      } else if (m.type === 'run') {
        if (init === undefined || lanes === undefined) throw new Error('run before init');
        send(await runPhase(lanes, init, m));
      } else {
        await lanes?.close();
        process.disconnect();
      }
    } catch (e) {
      send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
