// Decoding of script replies (read with Buffer replies: bulk strings are
// Buffers, integers numbers, arrays arrays). Every reply starts with the
// incarnation and the revision (see out() in scripts/prelude.ts); a reply
// of another shape is a bug, reported as INTERNAL.

import { KdiError, type LockMode } from '@kdi/protocol';
import type { ChildEntry, StoredFile } from '../lock-store.js';

export interface ScriptReply {
  readonly incarnation: string;
  readonly revision: number;
  /** The body's own values, after the incarnation and the revision. */
  readonly rest: readonly unknown[];
}

function malformed(what: string): KdiError {
  return new KdiError('INTERNAL', `lock store: malformed reply from a Redis script (${what})`);
}

export function asArray(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw malformed(`${what} is not an array`);
  return v;
}

export function asNumber(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw malformed(`${what} is not an integer`);
}

export function asString(v: unknown, what: string): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'string') return v;
  throw malformed(`${what} is not a string`);
}

export function asBytes(v: unknown, what: string): Uint8Array {
  if (!Buffer.isBuffer(v)) throw malformed(`${what} is not bytes`);
  // A plain Uint8Array copy: callers must not see (or keep alive) ioredis's buffers.
  return new Uint8Array(v);
}

export function decodeReply(raw: unknown): ScriptReply {
  const all = asArray(raw, 'reply');
  return { incarnation: asString(all[0], 'incarnation'), revision: asNumber(all[1], 'revision'), rest: all.slice(2) };
}

/** fileReply() of the prelude: { path, contents, generation, owner|'', mode|'', {holders}, delayRemainingMs }. */
export function decodeFile(raw: unknown): StoredFile {
  const f = asArray(raw, 'file');
  const owner = asString(f[3], 'ephemeral owner');
  const mode = asString(f[4], 'lock mode');
  const holders = asArray(f[5], 'holders').map((h) => asNumber(h, 'holder generation'));
  let lock: StoredFile['lock'];
  if (mode !== '') {
    if (mode !== 'exclusive' && mode !== 'shared') throw malformed(`lock mode ${mode}`);
    lock = { mode: mode satisfies LockMode, holders };
  }
  return {
    path: asString(f[0], 'path'),
    contents: asBytes(f[1], 'contents'),
    generation: asNumber(f[2], 'generation'),
    ephemeralOwner: owner === '' ? undefined : owner,
    lock,
    lockDelayRemainingMs: asNumber(f[6], 'lock-delay remaining'),
  };
}

export function decodeChildren(raw: unknown, dir: string): ChildEntry[] {
  return asArray(raw, 'children').map((e) => {
    const [name, file, children] = asArray(e, 'child');
    const n = asString(name, 'child name');
    return {
      name: n,
      path: dir === '/' ? `/${n}` : `${dir}/${n}`,
      file: asNumber(file, 'child file flag') === 1,
      children: asNumber(children, 'child children flag') === 1,
    };
  });
}
