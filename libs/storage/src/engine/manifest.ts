// The engine's manifest: which tablets exist, their row ranges and
// locality groups, the ordered fragment files of each (tablet, group)
// chain, the tablet's legacy fragments, and the oldest log segment that
// may hold data not yet in a fragment. Written whole with writeFileAtomic
// after every change to fragments or tablets, so a crash leaves the old
// manifest or the new one.
//
// JSON (human-inspectable for `kdi repair`), version 4:
//   { "format": "kdi-manifest", "version": 4, "nextFragmentId": n,
//     "logFloor": segmentId,
//     "released": ["tables/t/id/<group>/f.frag", ...],
//     "publication": null | { "logFloor": segmentId,
//                             "published": { "<tablet id>": ["tables/...", ...] } },
//     "tablets": [ { "id", "table", "lower": base64|null, "upper": base64|null,
//                    "groups": [ { "name", "families": "*"|[...], "compression"?, "blockSize"?,
//                                  "inMemory"?, "purge"? } ],
//                    "chains": { "<group>": ["tables/t/id/<group>/f.frag", ...] },
//                    "legacy": [ { "fragment": "tables/...", "inMemory": bool } ],
//                    "staged"?: true, "disk"?: "/abs/data/dir" } ] }
// "disk" is the tablet's home disk (disk-set.ts): the data directory its
// new fragments go to; absent in older manifests (the open then infers it).
// "staged" marks a tablet a migration preloaded (tablet-migration.ts)
// whose config no META write has named yet: the next open drops it and
// deletes its files (an engine that predates the field keeps it, dormant).
// Chains list fragments oldest first. Legacy fragments (chains retired by
// a schema change, not yet repartitioned) are listed newest first: the
// order in which a scan must prefer them. A fragment reference is relative
// to the engine dir, or an absolute path for a file outside it (a tablet
// loaded from another server's fragments; fragment-files.ts). "released"
// lists files inside the engine dir that this engine must never delete
// (handed to another server by an unload, or named by a loaded tablet's
// config): they are not orphans, and the master's GC owns them
// (fragment-store.ts).
//
// "publication" (engines run with publication, see publication.ts): the
// log floor below which segments may go (META's configs no longer need
// them) and, per tablet, the fragment names META may name for it ("may":
// files a restart must keep even though no chain lists them), the names
// META was last confirmed to name ("confirmed", null before the first
// confirmed write) and the tablet's table and bounds then (base64):
//   "published": { "<id>": { "may": [...], "confirmed": [...]|null, "table", "lower", "upper" } }
//
// Version 3 (still read): the same without "publication".
//
// Version 2 (still read): the same without "released"; references were
// always relative. Version 3 exists so that an engine that knows only
// version 2 refuses the manifest instead of deleting released files as
// orphans or misreading absolute references.
//
// Version 1 (still read): each tablet had "purge", "inMemory" and one
// "fragments" list; it reads as one wildcard group "default" with that
// purge policy and inMemory flag, whose chain is that list.

import { corruption } from '../errors.js';
import type { PublishedEntryJSON } from './publication.js';
import type { PurgePolicy } from '../purge/purge-policy.js';
import { DEFAULT_GROUP_NAME, defaultGroups, type LocalityGroupSpec, validateLocalityGroups } from '../schema/locality-group.js';

export interface ManifestLegacyFragment {
  readonly fragment: string;
  readonly inMemory: boolean;
}

export interface ManifestTablet {
  readonly id: string;
  readonly table: string;
  readonly lower: Uint8Array | undefined;
  readonly upper: Uint8Array | undefined;
  readonly groups: readonly LocalityGroupSpec[];
  /** Group name → fragment names, oldest first. Every group has an entry. */
  readonly chains: Readonly<Record<string, readonly string[]>>;
  /** Newest first. */
  readonly legacy: readonly ManifestLegacyFragment[];
  /** A migration's preload whose commit never began: dropped at open, its files deleted (tablet-migration.ts). */
  readonly staged?: true | undefined;
  /** The home disk's directory (absolute), where its new fragments go. */
  readonly disk?: string | undefined;
}

export interface Manifest {
  readonly nextFragmentId: number;
  readonly logFloor: number;
  readonly tablets: readonly ManifestTablet[];
  /** Files inside the engine dir that this engine must never delete. */
  readonly released: readonly string[];
  /** With publication: the published log floor and, per tablet, the names META may name. */
  readonly publication?: ManifestPublication | undefined;
}

export interface ManifestPublication {
  readonly logFloor: number;
  readonly published: Readonly<Record<string, PublishedEntryJSON>>;
}

export const MANIFEST_NAME = 'MANIFEST';
export const MANIFEST_VERSION = 4;

/** Every fragment file a manifest names. */
export function manifestFragments(m: Manifest): Set<string> {
  const out = new Set<string>();
  for (const t of m.tablets) {
    for (const names of Object.values(t.chains)) for (const n of names) out.add(n);
    for (const l of t.legacy) out.add(l.fragment);
  }
  for (const e of Object.values(m.publication?.published ?? {})) for (const n of e.may) out.add(n);
  return out;
}

export function encodeManifest(m: Manifest): Uint8Array {
  const b64 = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b).toString('base64'));
  const doc = {
    format: 'kdi-manifest',
    version: MANIFEST_VERSION,
    nextFragmentId: m.nextFragmentId,
    logFloor: m.logFloor,
    released: m.released,
    publication: m.publication ?? null,
    tablets: m.tablets.map((t) => ({
      id: t.id,
      table: t.table,
      lower: b64(t.lower),
      upper: b64(t.upper),
      groups: t.groups,
      chains: t.chains,
      legacy: t.legacy,
      ...(t.staged === true && { staged: true }),
      ...(t.disk !== undefined && { disk: t.disk }),
    })),
  };
  return Buffer.from(JSON.stringify(doc, null, 1), 'utf8');
}

export function decodeManifest(data: Uint8Array, path: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw corruption(`manifest is not valid JSON: ${(e as Error).message}`, path);
  }
  const d = doc as Record<string, unknown>;
  if (d?.format !== 'kdi-manifest' || ![1, 2, 3, 4].includes(d.version as number)) throw corruption('not a version 1, 2, 3 or 4 KDI manifest', path);
  if (!Number.isSafeInteger(d.nextFragmentId) || !Number.isSafeInteger(d.logFloor) || !Array.isArray(d.tablets)) {
    throw corruption('manifest is missing nextFragmentId, logFloor or tablets', path);
  }
  const bytes = (v: unknown) => (v === null || v === undefined ? undefined : Buffer.from(String(v), 'base64'));
  const tablets = (d.tablets as Record<string, unknown>[]).map((t, i): ManifestTablet => {
    if (typeof t?.id !== 'string' || typeof t.table !== 'string') throw corruption(`manifest tablet ${i} is malformed`, path);
    const base = { id: t.id, table: t.table, lower: bytes(t.lower), upper: bytes(t.upper) };
    if (d.version === 1) {
      if (!Array.isArray(t.fragments)) throw corruption(`manifest tablet ${i} is malformed`, path);
      const groups = defaultGroups((t.purge ?? undefined) as PurgePolicy | undefined, t.inMemory === true);
      return { ...base, groups, chains: { [DEFAULT_GROUP_NAME]: t.fragments.map(String) }, legacy: [] };
    }
    const groups = t.groups as LocalityGroupSpec[];
    const problems = Array.isArray(groups) ? validateLocalityGroups(groups) : [{ path: 'groups', message: 'missing' }];
    if (problems.length > 0) throw corruption(`manifest tablet ${t.id}: bad locality groups (${problems.map((p) => `${p.path}: ${p.message}`).join('; ')})`, path);
    const chainsIn = (t.chains ?? {}) as Record<string, unknown>;
    const chains: Record<string, string[]> = {};
    for (const g of groups) {
      const list = chainsIn[g.name] ?? [];
      if (!Array.isArray(list)) throw corruption(`manifest tablet ${t.id}: chain of group ${g.name} is not a list`, path);
      chains[g.name] = list.map(String);
    }
    for (const name of Object.keys(chainsIn)) {
      if (!(name in chains)) throw corruption(`manifest tablet ${t.id}: chain for unknown group ${JSON.stringify(name)}`, path);
    }
    if (t.legacy !== undefined && !Array.isArray(t.legacy)) throw corruption(`manifest tablet ${t.id}: legacy is not a list`, path);
    const legacy = ((t.legacy ?? []) as Record<string, unknown>[]).map((l) => {
      if (typeof l?.fragment !== 'string') throw corruption(`manifest tablet ${t.id}: malformed legacy entry`, path);
      return { fragment: l.fragment, inMemory: l.inMemory === true };
    });
    if (t.disk !== undefined && typeof t.disk !== 'string') throw corruption(`manifest tablet ${t.id}: disk is not a directory path`, path);
    return { ...base, groups, chains, legacy, ...(t.staged === true && { staged: true as const }), ...(typeof t.disk === 'string' && { disk: t.disk }) };
  });
  const released = (d.version as number) >= 3 ? d.released : [];
  if (!Array.isArray(released) || !released.every((r) => typeof r === 'string')) throw corruption('manifest "released" is not a list of file names', path);
  const publication = d.version === 4 ? decodePublication(d.publication, path, tablets) : undefined;
  return { nextFragmentId: d.nextFragmentId as number, logFloor: d.logFloor as number, tablets, released, publication };
}

function decodePublication(v: unknown, path: string, tablets: readonly ManifestTablet[]): ManifestPublication | undefined {
  if (v === null || v === undefined) return undefined;
  const p = v as Record<string, unknown>;
  const published = p.published as Record<string, unknown> | undefined;
  if (!Number.isSafeInteger(p.logFloor) || typeof published !== 'object' || published === null || Array.isArray(published)) {
    throw corruption('manifest "publication" must be {logFloor, published}', path);
  }
  const names = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string');
  const bytes = (v: unknown) => v === null || typeof v === 'string';
  for (const [id, raw] of Object.entries(published)) {
    if (names(raw)) {
      // The first version-4 layout: a list of names, nothing confirmed, identity from the tablet entry when there is one.
      const t = tablets.find((x) => x.id === id);
      const b64 = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b).toString('base64'));
      published[id] = { may: raw as string[], confirmed: null, table: t?.table ?? '', lower: b64(t?.lower), upper: b64(t?.upper) };
      continue;
    }
    const e = raw as Partial<Record<keyof PublishedEntryJSON, unknown>> | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      !names(e.may) ||
      !(e.confirmed === null || names(e.confirmed)) ||
      typeof e.table !== 'string' ||
      !bytes(e.lower) ||
      !bytes(e.upper)
    ) {
      throw corruption(`manifest publication of tablet ${id} must be {may, confirmed, table, lower, upper}`, path);
    }
  }
  return { logFloor: p.logFloor as number, published: published as Record<string, PublishedEntryJSON> };
}
