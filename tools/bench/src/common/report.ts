// The JSON every benchmark writes with `--out` (DESIGN §17):
//   { bench, machine, startedAt, results: [{ name, value, unit, peer, peerValue, ratio }] }
// `ratio` is always "ours relative to the peer, higher is better for us":
// value/peerValue for throughputs, peerValue/value for latencies.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MachineInfo } from './machine.js';

export type Unit = 'ops/s' | 'values/s' | 'MB/s' | 'ms';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: Unit;
  readonly peer?: string;
  readonly peerValue?: number;
  readonly ratio?: number;
}

export interface BenchReport {
  readonly bench: string;
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly results: readonly BenchResult[];
}

const HIGHER_IS_BETTER: Record<Unit, boolean> = { 'ops/s': true, 'values/s': true, 'MB/s': true, ms: false };

/** A figure compared against a peer system's figure for the same workload. */
export function comparedResult(name: string, unit: Unit, value: number, peer: string, peerValue: number): BenchResult {
  const ratio = HIGHER_IS_BETTER[unit] ? value / peerValue : peerValue / value;
  return { name, value: round(value), unit, peer, peerValue: round(peerValue), ratio: Math.round(ratio * 1000) / 1000 };
}

/** Three significant digits at most after the point; keeps the JSON readable. */
function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 1000) / 1000;
}

export async function writeReport(path: string, report: BenchReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
