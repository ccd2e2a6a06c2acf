// Heartbeats to the master (DESIGN §9): POST {master}/v1/cluster/heartbeat
// with the cluster secret and this server's status (heartbeat-status.ts),
// every intervalMs the master's last reply asked for (1000 ms until the
// first reply), and at once when something the master must know happened
// (a load, an unload, a split: sendNow) or a new master was found.
//
// Promises:
//  - heartbeats never block the data path and never throw: with no master
//    known, a refused connection, a non-2xx reply or a reply that is not a
//    HeartbeatReply, the failure is logged at debug and the next heartbeat
//    goes out on the next interval;
//  - one heartbeat is in flight at a time; sendNow during one sends
//    another right after it (reasons coalesce: the latest non-periodic
//    one wins), so the master's view is never older than the last change;
//  - until a master accepted one, heartbeats say reason 'start';
//  - stop() cancels the timer and the request in flight and resolves once
//    nothing more will be sent.

import { HeartbeatReplySchema, type HeartbeatBody } from '@kdi/protocol';
import type { HeartbeatReason } from './heartbeat-status.js';

export const HEARTBEAT_PATH = '/v1/cluster/heartbeat';
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

export interface HeartbeatLogger {
  debug(obj: object, msg: string): void;
}

export interface HeartbeatSenderOptions {
  /** The current master's base URL (master-finder.ts), and news of a new one. */
  readonly master: { current(): string | undefined; onChange(listener: (url: string | undefined) => void): void };
  readonly clusterSecret: string;
  /** The status to send. */
  body(reason: HeartbeatReason): Promise<HeartbeatBody>;
  /** Called before a heartbeat of the periodic schedule is built (request rates end their window). */
  readonly onPeriodic?: () => void;
  readonly logger: HeartbeatLogger;
  /** Give up on one request after this long (default 5000 ms). */
  readonly requestTimeoutMs?: number;
}

export class HeartbeatSender {
  private intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private pending: { reason: HeartbeatReason; periodic: boolean } | undefined;
  private stopped = false;
  private started = false;
  private readonly abort = new AbortController();
  /** Heartbeats a master accepted. */
  accepted = 0;

  constructor(private readonly o: HeartbeatSenderOptions) {}

  /** The interval the master asked for last (1000 ms before its first reply). */
  get interval(): number {
    return this.intervalMs;
  }

  /** Sends the first heartbeat now, then on the schedule; a new master gets one at once. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.o.master.onChange((url) => {
      if (url !== undefined) this.sendNow('periodic');
    });
    this.sendNow('start');
  }

  /** Sends a heartbeat as soon as the one in flight (if any) is done. */
  sendNow(reason: HeartbeatReason): void {
    this.queue(reason, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.inFlight;
  }

  private queue(reason: HeartbeatReason, periodic: boolean): void {
    if (this.stopped || !this.started) return;
    const p = this.pending;
    this.pending = {
      reason: reason === 'periodic' && p !== undefined ? p.reason : reason,
      periodic: periodic || (p?.periodic ?? false),
    };
    if (this.inFlight === undefined) this.kick();
  }

  private kick(): void {
    clearTimeout(this.timer);
    const next = this.pending!;
    this.pending = undefined;
    this.inFlight = this.send(next.reason, next.periodic).finally(() => {
      this.inFlight = undefined;
      if (this.stopped) return;
      if (this.pending !== undefined) return this.kick();
      this.timer = setTimeout(() => this.queue('periodic', true), this.intervalMs);
      this.timer.unref();
    });
  }

  private async send(reason: HeartbeatReason, periodic: boolean): Promise<void> {
    const master = this.o.master.current();
    if (master === undefined) {
      this.o.logger.debug({ reason }, 'no master known; heartbeat not sent');
      return;
    }
    try {
      if (periodic) this.o.onPeriodic?.();
      const said = this.accepted === 0 && reason === 'periodic' ? 'start' : reason;
      const body = await this.o.body(said);
      const res = await fetch(`${master}${HEARTBEAT_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.clusterSecret}` },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.requestTimeoutMs ?? 5_000)]),
      });
      const text = await res.text();
      if (!res.ok) {
        this.o.logger.debug({ masterUrl: master, status: res.status, reply: text.slice(0, 500) }, 'the master refused a heartbeat');
        return;
      }
      const reply = HeartbeatReplySchema.safeParse(JSON.parse(text));
      if (!reply.success) {
        this.o.logger.debug({ masterUrl: master, reply: text.slice(0, 500) }, 'the master answered a heartbeat with something that is not a HeartbeatReply');
        return;
      }
      this.intervalMs = reply.data.intervalMs;
      this.accepted++;
    } catch (e) {
      if (!this.stopped) this.o.logger.debug({ masterUrl: master, err: e }, 'heartbeat failed; trying again next interval');
    }
  }
}
