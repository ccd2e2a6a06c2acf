// The six experiments of the Bigtable paper's per-server benchmark (Chang
// et al., OSDI 2006, §7, Figure 6), in the paper's order, with its
// one-tablet-server figures (1000-byte values read or written per second)
// and the targets of issue 12 for one KDI tablet server on this machine.

export type ExperimentName = 'sequential-writes' | 'random-writes' | 'sequential-reads' | 'random-reads' | 'random-reads-mem' | 'scans';

export interface Experiment {
  readonly name: ExperimentName;
  readonly title: string;
  /** Values/s of one Bigtable tablet server in Figure 6 (the table's "1" column). */
  readonly paper: number;
  /** Issue 12's target, values/s. */
  readonly target: number;
}

export const EXPERIMENTS: readonly Experiment[] = [
  { name: 'sequential-writes', title: 'sequential writes', paper: 8547, target: 100_000 },
  { name: 'random-writes', title: 'random writes', paper: 8850, target: 100_000 },
  { name: 'sequential-reads', title: 'sequential reads', paper: 4425, target: 50_000 },
  { name: 'random-reads', title: 'random reads', paper: 1212, target: 15_000 },
  { name: 'random-reads-mem', title: 'random reads (mem)', paper: 10811, target: 25_000 },
  { name: 'scans', title: 'scans', paper: 15385, target: 250_000 },
];

export const PAPER_PEER = 'bigtable-osdi2006-1-server';
