// Test support: SDK writers that keep a table under write load through
// faults and remember exactly what was acknowledged. Each writer adds a
// batch, flushes it and records its cells only once flush() resolved (an
// acknowledged write); a batch whose flush fails (its deadline passed: the
// outcome is unknown) is not recorded, and the writer carries on with a new
// TableWriter. The SDK does the retrying (WRONG_TABLET, moved tablets,
// refused connections) inside each flush.

import type { Table } from '@kdi/client-sdk';

export interface Ack {
  readonly value: string;
  /** performance.now() when the flush that carried it resolved. */
  readonly at: number;
}

export interface LoadWriters {
  /** row → the value acknowledged for it (every row is written once). */
  readonly acked: Map<string, Ack>;
  /** Flushes that failed (outcome unknown), with their errors. */
  readonly failures: string[];
  /** Stops after the batches in flight; resolves when every writer is done. */
  stop(): Promise<void>;
}

export const pad6 = (n: number) => String(n).padStart(6, '0');

/** `writers` loops writing `batch` cells at a time to rows `k-NNNNNN-wW-SEQ` (NNNNNN random: every tablet gets writes). */
export function startLoadWriters(table: Table, o: { writers?: number; batch?: number; timeoutMs?: number } = {}): LoadWriters {
  const acked = new Map<string, Ack>();
  const failures: string[] = [];
  let stopping = false;
  const loops = Array.from({ length: o.writers ?? 3 }, async (_, w) => {
    let writer = table.writer({ maxInFlight: 1, timeoutMs: o.timeoutMs ?? 60_000 });
    for (let seq = 0; !stopping; seq++) {
      const cells = Array.from({ length: o.batch ?? 50 }, (_, i) => {
        const row = `k-${pad6(Math.floor(Math.random() * 100_000))}-w${w}-${seq}-${i}`;
        return { row, column: 'f:c', value: `v-${row}` };
      });
      try {
        await writer.add(cells);
        await writer.flush();
        const at = performance.now();
        for (const c of cells) acked.set(c.row, { value: c.value, at });
      } catch (e) {
        failures.push(String(e));
        await writer.close().catch(() => {});
        writer = table.writer({ maxInFlight: 1, timeoutMs: o.timeoutMs ?? 60_000 });
      }
    }
    await writer.close().catch(() => {});
  });
  return {
    acked,
    failures,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Every cell of `table` as row → value. */
export async function readAll(table: Table): Promise<Map<string, string>> {
  const got = new Map<string, string>();
  for await (const c of table.scan()) got.set(Buffer.from(c.row).toString(), Buffer.from(c.value!).toString());
  return got;
}

/** The acknowledged rows missing from `got`, or present with another value (at most 10 named). */
export function lostWrites(acked: Map<string, Ack>, got: Map<string, string>): string[] {
  const lost: string[] = [];
  for (const [row, a] of acked) if (got.get(row) !== a.value) lost.push(row);
  return lost.slice(0, 10).concat(lost.length > 10 ? [`… ${lost.length - 10} more`] : []);
}
