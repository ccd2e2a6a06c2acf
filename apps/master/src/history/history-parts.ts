// What the master's history is made of (history-file.ts): the move book,
// the balancer's decisions, the automatic disk balance's decisions and the
// event log — taken as a snapshot for
// each write, and restored into (merged) at takeover.

import type { Balancer } from '../balancer/balancer.js';
import type { DiskBalanceDriver } from '../disks/disk-balance-driver.js';
import type { EventLog } from '../events/event-log.js';
import type { MigrationBook } from '../migration/migration-book.js';
import type { HistoryParts } from './history-recorder.js';

export function historyParts(book: MigrationBook, balancer: Balancer, events: EventLog, disks?: DiskBalanceDriver): HistoryParts {
  return {
    snapshot: () => ({
      migrations: book.list(),
      decisions: balancer.decisions().reverse(),
      events: events.list({ limit: events.capacity }),
      ...(disks !== undefined && { diskDecisions: disks.decisions().reverse() }),
    }),
    restore: (h) => {
      book.restore(h.migrations);
      balancer.restore(h.decisions);
      events.restore(h.events);
      disks?.restore(h.diskDecisions ?? []);
    },
  };
}
