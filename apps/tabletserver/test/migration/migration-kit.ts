// Helpers of the migration tests: follow a move in the servers' status,
// list a server's migration temp directories, print a move's figures, cut
// the source off the target during the commit.

import { createServer, request as httpRequest, type Server } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationStatus } from '@kdi/protocol';
import { CLUSTER_SECRET, type ServerProc } from '../cluster.js';

export async function migrations(server: ServerProc): Promise<MigrationStatus[]> {
  const res = await fetch(`${server.url}/v1/admin/migrations`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
  if (res.status !== 200) throw new Error(`GET migrations at ${server.serverId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { migrations: MigrationStatus[] }).migrations;
}

/** Polls the source's status until the move ended; its final status. */
export async function waitMigration(source: ServerProc, migrationId: string, timeoutMs = 60_000): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = (await migrations(source)).find((x) => x.migrationId === migrationId && x.role === 'source');
    if (m?.endedAt !== undefined) return m;
    if (Date.now() > deadline) throw new Error(`migration ${migrationId} did not end in ${timeoutMs} ms: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Names under <dataDir>/migrations (empty when the directory does not exist). */
export async function tempDirs(dataDir: string): Promise<string[]> {
  try {
    return await readdir(join(dataDir, 'migrations'));
  } catch {
    return [];
  }
}

/** One line per move for the test output: steps with durations, bytes, files, the write stall. */
export function describeMove(m: MigrationStatus): string {
  const steps = m.steps.map((s) => `${s.step} ${s.ms.toFixed(1)} ms`).join(', ');
  return `${m.migrationId} ${m.tabletId} → ${m.peer.serverId}: ${m.outcome ?? 'no outcome'}; ${steps}; ${m.filesCopied} files, ${m.bytesCopied} bytes; write stall ${m.writeStallMs?.toFixed(1) ?? '-'} ms${m.error ? `; error: ${m.error}` : ''}`;
}

/** The tablets a server serves now (GET /v1/admin/status). */
export async function servedTablets(server: ServerProc): Promise<{ tabletId: string; table: string; state: string }[]> {
  const res = await fetch(`${server.url}/v1/admin/status`, { headers: { authorization: `Bearer ${CLUSTER_SECRET}` } });
  if (res.status !== 200) throw new Error(`GET status at ${server.serverId}: ${res.status}`);
  return ((await res.json()) as { tablets: { tabletId: string; table: string; state: string }[] }).tablets;
}

/**
 * An HTTP proxy to `to` that cuts the source off the target once the
 * commit is on its way: the commit still reaches the target, but the
 * source's connection is closed 300 ms later and every later request
 * (the source's DELETE) is refused.
 */
export async function cuttingProxy(to: string): Promise<{ url: string; server: Server }> {
  const target = new URL(to);
  let cut = false;
  const server = createServer((req, res) => {
    if (cut) {
      req.socket.destroy();
      return;
    }
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      if (res.destroyed) return r.resume();
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
    if (req.method === 'POST' && req.url?.endsWith('/commit')) {
      setTimeout(() => {
        cut = true;
        req.socket.destroy();
      }, 300);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}
