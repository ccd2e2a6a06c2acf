// What a heartbeat says (libs/protocol master-api HeartbeatBodySchema,
// DESIGN §9): this server's tablets with their sizes and request rates,
// bytes per data directory, memory, what is left of its lease, and why it
// is sent now. Tablet bounds are UTF-8 text unless one is not, then every
// bound is base64 and `encoding` says so (as in the Table API).

import type { DiskStatus, HeartbeatBody } from '@kdi/protocol';
import { boundsOf, replyEncoding } from '../api/tablet-json.js';
import { encodeWireBytes } from '../api/wire-bytes.js';
import type { TabletRates } from '../stats/request-rates.js';
import type { TabletView } from '../tablets/tablet-types.js';

export type HeartbeatReason = NonNullable<HeartbeatBody['reason']>;

export interface HeartbeatSources {
  readonly serverId: string;
  readonly url: string;
  /** ISO time this server started. */
  readonly startedAt: string;
  tablets(): readonly TabletView[];
  rates(tabletId: string): TabletRates;
  disks(): Promise<DiskStatus[]>;
  memoryFragmentBytes(): number;
  readonly memoryBudgetBytes: number;
  /** ms left of the lease (undefined when unknown). */
  leaseRemainingMs(): number | undefined;
  /** Default process.memoryUsage. */
  readonly memoryUsage?: () => { rss: number; heapUsed: number };
}

export async function heartbeatBody(s: HeartbeatSources, reason: HeartbeatReason): Promise<HeartbeatBody> {
  const views = s.tablets();
  const encoding = replyEncoding('utf8', boundsOf(views));
  const usage = (s.memoryUsage ?? (() => process.memoryUsage()))();
  const lease = s.leaseRemainingMs();
  return {
    serverId: s.serverId,
    url: s.url,
    startedAt: s.startedAt,
    encoding,
    tablets: views.map((v) => ({
      tabletId: v.tabletId,
      table: v.table,
      ...(v.lowerExclusive !== undefined && { lowerExclusive: encodeWireBytes(v.lowerExclusive, encoding) }),
      ...(v.upperInclusive !== undefined && { upperInclusive: encodeWireBytes(v.upperInclusive, encoding) }),
      state: v.state,
      diskBytes: v.diskBytes,
      ...s.rates(v.tabletId),
    })),
    disks: await s.disks(),
    memory: {
      rssBytes: Math.floor(usage.rss),
      heapUsedBytes: Math.floor(usage.heapUsed),
      memoryFragmentBytes: Math.floor(s.memoryFragmentBytes()),
      memoryBudgetBytes: s.memoryBudgetBytes,
    },
    ...(lease !== undefined && { leaseRemainingMs: Math.max(0, Math.floor(lease)) }),
    reason,
  };
}
