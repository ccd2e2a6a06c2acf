// One JSON request to the master's API (libs/protocol master-api), over the
// client's keep-alive pools: errors come from the shared mapping
// (ServerPools: the master's ErrorBody becomes a KdiError with its code; a
// network failure is UNAVAILABLE with details.cause), and 2xx bodies are
// validated with the contract's zod schemas, so a reply that breaks it is
// INTERNAL naming the field. No retries here: AdminClient says which calls
// are safe to repeat.

import type { ServerPools } from '../table/server-pools.js';
import { parseReply, type ReplySchema } from '../table/table-wire.js';

export interface MasterRequest<T> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, starting with '/'. */
  readonly path: string;
  readonly body?: unknown;
  readonly schema: ReplySchema<T>;
  readonly signal: AbortSignal;
}

export async function masterRequest<T>(pools: ServerPools, masterUrl: string, req: MasterRequest<T>): Promise<T> {
  const hasBody = req.body !== undefined;
  const reply = await pools.request(masterUrl, {
    method: req.method,
    path: req.path,
    headers: hasBody ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: hasBody ? JSON.stringify(req.body) : undefined,
    signal: req.signal,
  });
  return parseReply(reply, req.schema, `${req.method} ${masterUrl}${req.path.split('?', 1)[0]}`, 'master API');
}
