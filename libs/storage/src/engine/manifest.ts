// The engine's manifest: which tablets exist, their row ranges and purge
// policies, the ordered fragment files of each tablet's chain, and the
// oldest log segment that may hold data not yet in a fragment. Written
// whole with writeFileAtomic after every change to fragments or tablets,
// so a crash leaves the old manifest or the new one.
//
// JSON (human-inspectable for `kdi repair`):
//   { "format": "kdi-manifest", "version": 1, "nextFragmentId": n,
//     "logFloor": segmentId,
//     "tablets": [ { "id", "table", "lower": base64|null, "upper": base64|null,
//                    "purge": {...}|null, "inMemory": bool, "fragments": ["tables/t/id/f.frag", ...] } ] }
// Fragments are listed oldest first; paths are relative to the engine dir.

import { corruption } from '../errors.js';
import type { PurgePolicy } from '../purge/purge-policy.js';

export interface ManifestTablet {
  readonly id: string;
  readonly table: string;
  readonly lower: Uint8Array | undefined;
  readonly upper: Uint8Array | undefined;
  readonly purge: PurgePolicy | undefined;
  readonly inMemory: boolean;
  readonly fragments: readonly string[];
}

export interface Manifest {
  readonly nextFragmentId: number;
  readonly logFloor: number;
  readonly tablets: readonly ManifestTablet[];
}

export const MANIFEST_NAME = 'MANIFEST';

export function encodeManifest(m: Manifest): Uint8Array {
  const b64 = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b).toString('base64'));
  const doc = {
    format: 'kdi-manifest',
    version: 1,
    nextFragmentId: m.nextFragmentId,
    logFloor: m.logFloor,
    tablets: m.tablets.map((t) => ({
      id: t.id,
      table: t.table,
      lower: b64(t.lower),
      upper: b64(t.upper),
      purge: t.purge ?? null,
      inMemory: t.inMemory,
      fragments: t.fragments,
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
  if (d?.format !== 'kdi-manifest' || d.version !== 1) throw corruption('not a version-1 KDI manifest', path);
  if (!Number.isSafeInteger(d.nextFragmentId) || !Number.isSafeInteger(d.logFloor) || !Array.isArray(d.tablets)) {
    throw corruption('manifest is missing nextFragmentId, logFloor or tablets', path);
  }
  const bytes = (v: unknown) => (v === null || v === undefined ? undefined : Buffer.from(String(v), 'base64'));
  const tablets = (d.tablets as Record<string, unknown>[]).map((t, i) => {
    if (typeof t.id !== 'string' || typeof t.table !== 'string' || !Array.isArray(t.fragments)) {
      throw corruption(`manifest tablet ${i} is malformed`, path);
    }
    return {
      id: t.id,
      table: t.table,
      lower: bytes(t.lower),
      upper: bytes(t.upper),
      purge: (t.purge ?? undefined) as PurgePolicy | undefined,
      inMemory: t.inMemory === true,
      fragments: t.fragments.map(String),
    };
  });
  return { nextFragmentId: d.nextFragmentId as number, logFloor: d.logFloor as number, tablets };
}
