// The tablet server's log syncs from its /metrics (Prometheus text): how
// many fdatasyncs a phase cost and how long they took, so the write figures
// say whether group commit batched (values per sync) and what the disk
// gave. Undefined when the server's metrics cannot be read.

export interface LogSyncs {
  readonly count: number;
  readonly seconds: number;
}

export async function logSyncs(tabletServerUrl: string): Promise<LogSyncs | undefined> {
  try {
    const res = await fetch(`${tabletServerUrl}/metrics`);
    if (!res.ok) return undefined;
    const text = await res.text();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const count = value('tabletserver_log_sync_seconds_count');
    const seconds = value('tabletserver_log_sync_seconds_sum');
    return count === undefined || seconds === undefined ? undefined : { count, seconds };
  } catch {
    return undefined;
  }
}
