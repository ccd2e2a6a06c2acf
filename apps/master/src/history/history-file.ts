// The master's history file in the lock service, /kdi/master-history: the
// recent tablet moves, balancer decisions and cluster events of the active
// master, so that a master that takes over after a failover shows what
// happened before it (docs/master.md "History").
//
// Layout: the file's contents are gzip (RFC 1952) of one UTF-8 JSON object
//   { "format": "kdi-master-history", "version": 1,
//     "writer": { "url": <the master that wrote it>, "generation": <its
//                 /kdi/master sequencer generation> },
//     "writtenAt": <ISO-8601, when the snapshot was taken>,
//     "migrations": [MasterMigration, …]   newest first, as GET /v1/migrations
//     "decisions":  [BalancerDecision, …]  oldest first
//     "events":     [ClusterEvent, …]      oldest first, increasing seq
//     "diskDecisions": [DiskBalanceDecision, …]  oldest first (the automatic
//                 disk balance; optional: files written before it have none) }
// Gzip because the lock service keeps whole files (256 KiB each by
// default, the embedded store rewriting its state file on each change):
// the JSON of 100 moves, 100 decisions and 1000 events is several hundred
// KiB and compresses about tenfold.
//
// Promises: decodeHistory never throws — a file that is not gzip, not JSON
// or not this format decodes to `bad` with the reason; a record that does
// not match its schema is dropped and counted, the others kept.
// encodeHistory keeps the result at most `maxBytes` by dropping the oldest
// events, then disk-balance decisions, then decisions, then ended moves (half of a kind at a time);
// running moves are never dropped.

import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import {
  BalancerDecisionSchema,
  ClusterEventSchema,
  DiskBalanceDecisionSchema,
  MasterMigrationSchema,
  type BalancerDecision,
  type ClusterEvent,
  type DiskBalanceDecision,
  type MasterMigration,
} from '@kdi/protocol';
import { z } from 'zod';

export const HISTORY_PATH = '/kdi/master-history';
const FORMAT = 'kdi-master-history';
const VERSION = 1;
/** A decoded file larger than this is refused (a corrupt or hostile file must not take the master's memory). */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;

export interface HistoryWriter {
  readonly url: string;
  /** The sequencer generation of the writer's /kdi/master lock: a newer master's is larger. */
  readonly generation: number;
}

export interface History {
  readonly writer: HistoryWriter;
  readonly writtenAt: string;
  readonly migrations: readonly MasterMigration[];
  readonly decisions: readonly BalancerDecision[];
  readonly events: readonly ClusterEvent[];
  /** The automatic disk balance's decisions, oldest first (absent in files written before it). */
  readonly diskDecisions?: readonly DiskBalanceDecision[] | undefined;
}

export type DecodedHistory = { readonly ok: true; readonly history: History; readonly dropped: number } | { readonly ok: false; readonly bad: string };

const EnvelopeSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  writer: z.object({ url: z.string(), generation: z.number().int().nonnegative() }),
  writtenAt: z.string(),
  migrations: z.array(z.unknown()),
  decisions: z.array(z.unknown()),
  events: z.array(z.unknown()),
  diskDecisions: z.array(z.unknown()).optional(),
});

export interface EncodedHistory {
  readonly bytes: Uint8Array;
  /** Records left out to stay under maxBytes (0 normally). */
  readonly trimmed: number;
}

const gzipAsync = promisify(gzip);

/** Compresses off the event loop (zlib's thread pool): 100 moves, 100 decisions and 1000 events take about 25 ms. */
export async function encodeHistory(h: History, maxBytes: number): Promise<EncodedHistory> {
  let events = [...h.events];
  let decisions = [...h.decisions];
  let migrations = [...h.migrations];
  let diskDecisions = [...(h.diskDecisions ?? [])];
  const total = events.length + decisions.length + migrations.length + diskDecisions.length;
  for (;;) {
    const json = JSON.stringify({
      format: FORMAT,
      version: VERSION,
      writer: h.writer,
      writtenAt: h.writtenAt,
      migrations,
      decisions,
      events,
      ...(h.diskDecisions !== undefined && { diskDecisions }),
    });
    const bytes = await gzipAsync(Buffer.from(json, 'utf8'));
    if (bytes.length <= maxBytes) return { bytes, trimmed: total - events.length - decisions.length - migrations.length - diskDecisions.length };
    const endedIndexes = migrations.flatMap((m, i) => (m.state === 'running' ? [] : [i]));
    if (events.length > 0) events = events.slice(Math.ceil(events.length / 2));
    else if (diskDecisions.length > 0) diskDecisions = diskDecisions.slice(Math.ceil(diskDecisions.length / 2));
    else if (decisions.length > 0) decisions = decisions.slice(Math.ceil(decisions.length / 2));
    else if (endedIndexes.length > 0) {
      // Newest first: the oldest ended ones are at the end.
      const drop = new Set(endedIndexes.slice(Math.floor(endedIndexes.length / 2)));
      migrations = migrations.filter((_, i) => !drop.has(i));
    } else return { bytes, trimmed: total - migrations.length };
  }
}

export function decodeHistory(bytes: Uint8Array): DecodedHistory {
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8'));
  } catch (e) {
    return { ok: false, bad: `not gzip-compressed JSON (${(e as Error).message})` };
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, bad: `not a ${FORMAT} version ${VERSION} file (${envelope.error.issues[0]?.message ?? 'bad shape'})` };
  const e = envelope.data;
  let dropped = 0;
  const each = <T>(schema: z.ZodType<T>, list: readonly unknown[]): T[] =>
    list.flatMap((x) => {
      const r = schema.safeParse(x);
      if (r.success) return [r.data];
      dropped++;
      return [];
    });
  const history: History = {
    writer: e.writer,
    writtenAt: e.writtenAt,
    migrations: each(MasterMigrationSchema, e.migrations),
    decisions: each(BalancerDecisionSchema, e.decisions),
    events: each(ClusterEventSchema, e.events).sort((a, b) => a.seq - b.seq),
    ...(e.diskDecisions !== undefined && { diskDecisions: each(DiskBalanceDecisionSchema, e.diskDecisions) }),
  };
  return { ok: true, history, dropped };
}
