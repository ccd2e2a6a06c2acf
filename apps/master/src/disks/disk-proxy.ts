// The master's way to a tablet server's disk routes (issue 11,
// docs/disks.md): /v1/servers/{serverId}/disks… are answered by the live
// server of that id (its URL from the server registry), through the admin
// client (cluster secret). The server's reply is checked against the same
// schema the server answers with, and passed on.
//
// Promises: an unknown server is NOT_FOUND, a dead one FAILED_PRECONDITION,
// one that does not answer UNAVAILABLE (retryable) — each naming the
// server; an error the server answers is passed on with its code, its
// details and its message prefixed by the server id; a reply that does not
// match the schema is INTERNAL.

import { isErrorCode, KdiError } from '@kdi/protocol';
import type { z } from 'zod';
import type { AdminClient } from '../cluster/admin-client.js';
import type { ServerRegistry } from '../servers/server-registry.js';

export class DiskProxy {
  constructor(
    private readonly registry: ServerRegistry,
    private readonly admin: () => AdminClient,
  ) {}

  /** The URL of the live server `serverId`, or the error saying why there is none. */
  urlOf(serverId: string): string {
    if (!this.registry.known(serverId)) {
      throw new KdiError('NOT_FOUND', `server ${serverId} is not known to the master; GET /v1/servers lists the servers`, { details: { serverId } });
    }
    const url = this.registry.url(serverId);
    if (url === undefined || !this.registry.isLive(serverId)) {
      throw new KdiError('FAILED_PRECONDITION', `server ${serverId} is dead: its disks cannot be asked`, { details: { serverId } });
    }
    return url;
  }

  async call<S extends z.ZodType>(serverId: string, method: 'GET' | 'POST', path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const url = this.urlOf(serverId);
    const a = await this.admin().disks(url, method, path, body);
    if (a.status === 0) {
      throw new KdiError('UNAVAILABLE', `server ${serverId} did not answer: ${a.message}`, { retryAfterMs: 1000, details: { serverId } });
    }
    if (a.status >= 400) {
      const error = (a.body as { error?: { details?: Record<string, unknown>; retryAfterMs?: number } } | undefined)?.error;
      const code = a.code !== undefined && isErrorCode(a.code) ? a.code : 'INTERNAL';
      throw new KdiError(code, `server ${serverId}: ${a.message}`, {
        details: { ...(error?.details ?? {}), serverId },
        ...(error?.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
      });
    }
    const parsed = schema.safeParse(a.body);
    if (!parsed.success) {
      throw new KdiError('INTERNAL', `server ${serverId} answered ${method} /v1/admin${path} with an unexpected body: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        details: { serverId },
      });
    }
    return parsed.data;
  }
}
