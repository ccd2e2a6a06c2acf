// Crash tests: seeded random sequences of writes (synced and not),
// serializations and compactions, with machine crashes at random points —
// between operations and while writes, serializations and compactions are
// in flight. After each crash the engine is reopened on what the disk kept
// and compared with a model: every acknowledged synced write is present,
// nothing that was never written appears, nothing erased comes back.
//
// Each engine instance talks to the shared MemoryFileSystem through its own
// FaultyFileSystem; at a crash that wrapper is fenced (every later call
// fails) so the dead instance can never touch the "disk" again.

import { describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine } from '../src/engine/engine.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import type { LocalityGroupSpec } from '../src/schema/locality-group.js';
import { cell, erase, keyOf, rng, str } from './kit.js';

interface KeyState {
  /** The value every reopen must show unless a pending write replaced it (null: absent). */
  acked: string | null;
  /** Writes issued after the last ack whose fate the crash decides. */
  pending: { id: number; v: string | null }[];
}

const DIR = '/disk/kdi';

async function openOn(mem: MemoryFileSystem) {
  const fs = new FaultyFileSystem(mem);
  const errors: unknown[] = [];
  const engine = await Engine.open({
    fs,
    dir: DIR,
    codec: lz4Codec,
    blockSize: 512,
    memoryBudgetBytes: 16 << 10,
    logSegmentBytes: 8 << 10,
    autoCompact: true,
    picker: { minChainLength: 3, maxFragments: 4, ratio: 2 },
    onBackgroundError: (e) => errors.push(e),
  });
  return { engine, fs, errors };
}

async function scanEverything(engine: Engine): Promise<Cell[]> {
  const out: Cell[] = [];
  let after: Cell | undefined;
  for (;;) {
    const page = await engine.scan('t', {}, { maxCells: 97, after });
    out.push(...page.cells);
    if (page.end) return out;
    after = page.cells[page.cells.length - 1];
  }
}

// Schemas the locality-group seeds switch between. Each has a wildcard
// group and no purge, so what a scan shows never depends on the schema.
const SCHEMAS: LocalityGroupSpec[][] = [
  [{ name: 'default', families: '*' }],
  [
    { name: 'fg', families: ['f', 'g'], compression: 'none', blockSize: 4096 },
    { name: 'rest', families: '*' },
  ],
  [
    { name: 'g', families: ['g'] },
    { name: 'h', families: ['h'], inMemory: true },
    { name: 'rest', families: '*' },
  ],
];

async function runSeed(seed: number, steps: number, withGroups = false): Promise<{ crashes: number; checked: number }> {
  const r = rng(seed);
  const mem = new MemoryFileSystem();
  let { engine, fs } = await openOn(mem);
  await engine.createTablet({ id: 't', table: 'tb', ...(withGroups ? { groups: SCHEMAS[1] } : {}) });
  const model = new Map<string, KeyState & { row: string; column: string; ts: number }>();
  let serial = 0;
  let crashes = 0;
  let checked = 0;
  const inflight: Promise<unknown>[] = [];

  const randomBatch = (): Cell[] => {
    const n = 1 + Math.floor(r() * 12);
    const batch: Cell[] = [];
    for (let i = 0; i < n; i++) {
      const row = `r${Math.floor(r() * 25)}`;
      const column = `${withGroups ? 'fgh'[Math.floor(r() * 3)] : 'f'}:${Math.floor(r() * 3)}`;
      const ts = Math.floor(r() * 3);
      batch.push(r() < 0.25 ? erase(row, column, ts) : cell(row, column, ts, `s${seed}-v${serial++}-${'x'.repeat(Math.floor(r() * 200))}`));
    }
    return batch;
  };
  const stateOf = (c: Cell) => {
    const k = keyOf(c);
    let s = model.get(k);
    if (!s) {
      s = { acked: null, pending: [], row: str(c.row)!, column: str(c.column)!, ts: c.timestamp };
      model.set(k, s);
    }
    return s;
  };

  let writeId = 0;
  const issue = (batch: Cell[], sync: boolean): Promise<void> => {
    const ids = batch.map((c) => {
      const id = writeId++;
      stateOf(c).pending.push({ id, v: str(c.value) });
      return id;
    });
    return engine.apply('tb', batch, { sync }).then(
      () => {
        if (!sync) return;
        // Acknowledged and durable: this batch's values are now the floor.
        batch.forEach((c, i) => {
          const s = stateOf(c);
          const at = s.pending.findIndex((p) => p.id === ids[i]);
          if (at < 0) return; // already superseded by a reopen's observation
          s.acked = s.pending[at]!.v;
          s.pending = s.pending.slice(at + 1);
        });
      },
      () => {},
    );
  };

  const crashAndReopen = async () => {
    fs.addRule({ error: 'EIO', times: Number.POSITIVE_INFINITY });
    mem.crash();
    await Promise.allSettled(inflight.splice(0));
    crashes++;
    ({ engine, fs } = await openOn(mem));
    const got = new Map<string, string>();
    for (const c of await scanEverything(engine)) got.set(keyOf(c), str(c.value)!);
    for (const [k, s] of model) {
      const seen = got.has(k) ? got.get(k)! : null;
      const allowed = [s.acked, ...s.pending.map((p) => p.v)];
      if (!allowed.includes(seen)) {
        throw new Error(`seed ${seed} crash ${crashes}: ${s.row} ${s.column}@${s.ts} shows ${seen?.slice(0, 20)} but allowed ${allowed.map((a) => a?.slice(0, 20))}`);
      }
      // What survived a crash is durable from now on.
      s.acked = seen;
      s.pending = [];
      checked++;
    }
    for (const k of got.keys()) if (!model.has(k)) throw new Error(`seed ${seed}: invented cell ${k}`);
  };

  for (let step = 0; step < steps; step++) {
    if (withGroups && r() < 0.06) {
      // A schema change mid-flight: fragments get carried over or retired to legacy.
      inflight.push(engine.setTableSchema('tb', SCHEMAS[Math.floor(r() * SCHEMAS.length)]!).catch(() => {}));
      continue;
    }
    const x = r();
    if (x < 0.45) {
      await issue(randomBatch(), true);
    } else if (x < 0.6) {
      inflight.push(issue(randomBatch(), false));
    } else if (x < 0.7) {
      // Several concurrent synced writes (group commit), not awaited.
      for (let i = 0; i < 4; i++) inflight.push(issue(randomBatch(), true));
    } else if (x < 0.78) {
      inflight.push(engine.serialize().catch(() => {}));
    } else if (x < 0.83) {
      inflight.push(engine.compactTablet('t', { full: r() < 0.5 }).catch(() => {}));
    } else if (x < 0.9) {
      // Let in-flight work progress a little, then crash in the middle of it.
      const ticks = Math.floor(r() * 6);
      for (let i = 0; i < ticks; i++) await new Promise((res) => setImmediate(res));
      await crashAndReopen();
    } else {
      await Promise.allSettled(inflight.splice(0));
    }
  }
  await crashAndReopen();
  await engine.close();
  return { crashes, checked };
}

describe('engine crash safety (MemoryFileSystem.crash)', () => {
  for (const seed of [11, 22, 33, 44, 55, 66, 77, 88]) {
    it(`seed ${seed}: acknowledged writes survive, nothing invented or resurrected`, async () => {
      const { crashes, checked } = await runSeed(seed, 160);
      expect(crashes).toBeGreaterThan(3);
      expect(checked).toBeGreaterThan(100);
    });
  }
  for (const seed of [101, 202, 303, 404]) {
    it(`seed ${seed} with locality groups and schema changes: the same guarantees`, async () => {
      const { crashes, checked } = await runSeed(seed, 200, true);
      expect(crashes).toBeGreaterThan(3);
      expect(checked).toBeGreaterThan(100);
    });
  }
});
