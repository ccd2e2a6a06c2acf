// The machine line every benchmark report carries (DESIGN §17), so figures
// from different hosts are never compared blind.
import * as os from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly os: string;
  readonly memGiB: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    // availableParallelism honours cgroup/affinity limits, like `nproc`.
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function formatMachine(m: MachineInfo): string {
  return `machine: ${m.cpus} cpus (${m.cpuModel}), ${m.memGiB} GiB, node ${m.node}, ${m.os}`;
}
