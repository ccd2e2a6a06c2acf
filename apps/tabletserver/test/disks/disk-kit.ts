// Helpers of the disk tests (issue 11, DESIGN §11; docs/disks.md): tablet
// servers with two data directories (disks) started through the migration
// tests' cluster (migration-cluster.ts: lock server, FakeMaster, META
// server), the tablet server's disk routes (/v1/admin/disks,
// /v1/admin/disks/tablets, /v1/admin/disk-migrations), and what lies on
// each disk: a table's fragment files, `*.migrate.tmp` and `.ori` files,
// what the manifest (disk 0) and META name for a tablet.
//
// Wire shapes are read loosely (the fields the tests use), so the tests
// say what they rely on.

import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiskCapacity, DiskMigrationStatusView, DiskReplica } from '@kdi/protocol';
import { afterAll } from 'vitest';
import { CLUSTER_SECRET, type FakeMaster, type ServerProc } from '../cluster.js';
import type { MigrationCluster } from '../migration/migration-cluster.js';

export type DiskMigrationState = 'IDLE' | 'MOVING' | 'MOVED' | 'CLOSED' | 'COMPLETED';

// The routes' own shapes (libs/protocol master-api/disks.ts), under the names the tests use.
export type DiskMigrationStatus = DiskMigrationStatusView;
export type DiskCapacityView = DiskCapacity;
export type DiskReplicaView = DiskReplica;

/** A tablet server with two disks: `disks[0]` is its data directory (MANIFEST, log/), `disks[1]` its extra one. */
export type DiskServer = ServerProc & { readonly dataDir: string; readonly disks: readonly [string, string] };

/**
 * Tablet servers with two data directories on `cluster`: a new pair of
 * directories under one temp directory (removed after the file's tests),
 * or `disks` again for a restart. `disk1` puts the second one elsewhere (a
 * tmpfs) for a new server.
 */
export function diskServers(cluster: MigrationCluster, prefix: string) {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });
  return async (serverId: string, env: Record<string, string> = {}, disks?: readonly [string, string], disk1?: string): Promise<DiskServer> => {
    let pair = disks;
    if (pair === undefined) {
      const root = await mkdtemp(join(tmpdir(), `kdi-${prefix}-${serverId}-`));
      roots.push(root);
      pair = [join(root, 'd0'), disk1 ?? join(root, 'd1')];
    }
    const p = await cluster.start(serverId, { ...env, KDI_TS_EXTRA_DATA_DIRS: pair[1] }, pair[0]);
    return { ...p, disks: pair };
  };
}

async function admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${CLUSTER_SECRET}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/** POST /v1/admin/disk-migrations; the answer as it came. */
export function postDiskMigration(server: ServerProc, tablet: string, from: string, to: string): Promise<{ status: number; body: any }> {
  return admin('POST', `${server.url}/v1/admin/disk-migrations`, { tablet, from, to });
}

/** Starts a disk migration; throws unless 202. */
export async function startDiskMigration(server: ServerProc, tablet: string, from: string, to: string): Promise<DiskMigrationStatus> {
  const r = await postDiskMigration(server, tablet, from, to);
  if (r.status !== 202) throw new Error(`POST disk-migrations ${tablet} ${from} → ${to} at ${server.serverId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as DiskMigrationStatus;
}

/** GET /v1/admin/disk-migrations/{tablet} (undefined on 404). */
export async function diskMigration(server: ServerProc, tablet: string): Promise<DiskMigrationStatus | undefined> {
  const r = await admin('GET', `${server.url}/v1/admin/disk-migrations/${tablet}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET disk-migrations/${tablet} at ${server.serverId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as DiskMigrationStatus;
}

/** Polls until the tablet's disk migration ended (COMPLETED, or IDLE with an error); its last status. */
export async function waitDiskMigration(server: ServerProc, tablet: string, timeoutMs = 60_000): Promise<DiskMigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await diskMigration(server, tablet);
    if (m !== undefined && m.endedAtMs !== undefined) return m;
    if (Date.now() > deadline) throw new Error(`the disk migration of ${tablet} did not end in ${timeoutMs} ms: ${JSON.stringify(m)}`);
    await sleep(20);
  }
}

/** GET /v1/admin/disks. */
export async function diskCapacity(server: ServerProc): Promise<DiskCapacityView[]> {
  const r = await admin('GET', `${server.url}/v1/admin/disks`);
  if (r.status !== 200) throw new Error(`GET disks at ${server.serverId}: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { disks: DiskCapacityView[] }).disks;
}

/** GET /v1/admin/disks/tablets. */
export async function diskReplica(server: ServerProc): Promise<DiskReplicaView[]> {
  const r = await admin('GET', `${server.url}/v1/admin/disks/tablets`);
  if (r.status !== 200) throw new Error(`GET disks/tablets at ${server.serverId}: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { disks: DiskReplicaView[] }).disks;
}

/** The disk holding most of the tablet's bytes (by disk-replica), and the other one. */
export async function tabletDisks(server: DiskServer, tablet: string): Promise<{ on: string; other: string; bytes: Record<string, number> }> {
  const bytes: Record<string, number> = {};
  for (const d of await diskReplica(server)) bytes[d.disk] = d.tablets.find((t) => t.tablet === tablet)?.bytes ?? 0;
  const [a, b] = server.disks;
  const on = (bytes[b] ?? 0) > (bytes[a] ?? 0) ? b : a;
  return { on, other: on === a ? b : a, bytes };
}

/** POST /v1/admin/serialize: memory to fragment files now. */
export async function serialize(server: ServerProc): Promise<void> {
  const r = await admin('POST', `${server.url}/v1/admin/serialize`, {});
  if (r.status !== 200) throw new Error(`serialize at ${server.serverId}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Every path (files and directories, absolute) under `dir`, recursively; [] when it does not exist. */
export async function walk(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** Fragment files of `table` on `disk` (tables/<table>/…/*.frag), absolute. */
export async function fragmentFiles(disk: string, table: string): Promise<string[]> {
  return (await walk(join(disk, 'tables', table))).filter((p) => p.endsWith('.frag'));
}

/** Leftovers of a disk migration anywhere on `disk`: names with `.migrate.tmp` or ending `.ori`. */
export async function migrationLeftovers(disk: string): Promise<{ tmp: string[]; ori: string[] }> {
  const all = await walk(disk);
  return { tmp: all.filter((p) => p.includes('.migrate.tmp')), ori: all.filter((p) => /\.ori(\/|$)/.test(p) || p.endsWith('.ori')) };
}

/** The fragment files the manifest (on disk 0) names for the tablets of `table` (dormant ones too), as absolute paths. */
export async function manifestFragments(disk0: string, table: string): Promise<string[]> {
  const m = JSON.parse(await readFile(join(disk0, 'MANIFEST'), 'utf8')) as {
    tablets: { id: string; table: string; chains: Record<string, string[]>; legacy?: { fragment: string }[] }[];
  };
  const names = m.tablets.filter((t) => t.table === table).flatMap((t) => [...Object.values(t.chains).flat(), ...(t.legacy ?? []).map((l) => l.fragment)]);
  return names.map((n) => (n.startsWith('/') ? n : join(disk0, n)));
}

/** The fragment files META's configs name for `table`. */
export async function metaFragments(master: FakeMaster, table: string): Promise<string[]> {
  return (await (await master.meta()).listTablets(table)).flatMap((cfg) => Object.values(cfg.fragments).flat());
}

/**
 * What is wrong with where `table`'s files are on `server`'s disks once a
 * disk migration settled: the manifest and META must name files of one
 * disk only (the same one), every named file must exist, the other disk
 * must hold no fragment file of the table, and no `*.migrate.tmp` or
 * `.ori` may be left on either disk. [] when all is well; `disk` is where
 * the table's files are.
 */
export async function placementProblems(master: FakeMaster, disks: readonly [string, string], table: string): Promise<{ problems: string[]; disk?: string }> {
  const problems: string[] = [];
  const inManifest = await manifestFragments(disks[0], table);
  const inMeta = await metaFragments(master, table);
  const disksOf = (paths: string[]) => [...new Set(paths.map((p) => diskOf(disks, p) ?? `elsewhere: ${p}`))];
  const m = disksOf(inManifest);
  const t = disksOf(inMeta);
  if (inManifest.length === 0) problems.push('the manifest names no fragment of the table');
  if (m.length > 1) problems.push(`the manifest names files of ${m.length} disks: ${m.join(', ')}`);
  if (t.length > 1) problems.push(`META names files of ${t.length} disks: ${t.join(', ')}`);
  if (m.length === 1 && t.length === 1 && m[0] !== t[0]) problems.push(`the manifest names files on ${m[0]}, META on ${t[0]}`);
  const disk = m[0];
  for (const f of new Set([...inManifest, ...inMeta])) {
    try {
      await access(f);
    } catch {
      problems.push(`named but missing: ${f}`);
    }
  }
  if (disk !== undefined) {
    const other = disks.find((d) => d !== disk);
    if (other !== undefined) {
      const stray = await fragmentFiles(other, table);
      if (stray.length > 0) problems.push(`the other disk still holds ${stray.length} fragment files of the table: ${stray.slice(0, 3).join(', ')}`);
    }
  }
  for (const d of disks) {
    const left = await migrationLeftovers(d);
    if (left.tmp.length > 0) problems.push(`.migrate.tmp left on ${d}: ${left.tmp.slice(0, 3).join(', ')}`);
    if (left.ori.length > 0) problems.push(`.ori left on ${d}: ${left.ori.slice(0, 3).join(', ')}`);
  }
  return { problems, ...(disk !== undefined && { disk }) };
}

/** Which of `disks` holds `path` (the longest prefix), or undefined. */
export function diskOf(disks: readonly string[], path: string): string | undefined {
  return [...disks].sort((a, b) => b.length - a.length).find((d) => path.startsWith(`${d}/`));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` (a list of problems) until it returns none or `timeoutMs` passed; the last problems. */
export async function settle(check: () => Promise<string[]>, timeoutMs = 20_000, everyMs = 200): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await check();
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await sleep(everyMs);
  }
}
