// Publication (DESIGN §5, §7): the engine's manifest is this server's own
// record of its tablets; the tablet configs in META are what ANOTHER
// server loads after this one dies (their fragment lists, and `log:`
// naming this server's log). Serializations and compactions change the
// fragment lists here first; META learns of the change later, when the
// tablet server writes it. Until then META may still name:
//  - fragment files a compaction has replaced, and
//  - log segments whose data a serialization moved into fragments META
//    does not list yet.
// Deleting either before META stops needing it would lose acknowledged
// writes for the next server. So, when the engine runs with
// `publication: true`:
//  - for every tablet the engine keeps two sets of fragment names: what
//    META MAY name for it ("may": a write of a tablet's config first adds
//    the lists it is about to write — beginPublish; a failed or unknown
//    write leaves the union, which is safe) and what META was last
//    CONFIRMED to name ("confirmed": set when a write succeeded —
//    endPublish, acknowledgePublication — and then "may" shrinks to it);
//  - a file this engine owns is deleted only when no chain lists it, no
//    scan holds it and no published set names it;
//  - log segments are deleted only below the "published log floor": the
//    log floor as of a snapshot every changed tablet of which was then
//    written to META (acknowledgePublication with all its tablets);
//  - both the sets and the published floor are in the manifest, so a
//    restart keeps what META may still need.
// A tablet is "changed" when its current lists name a different set of
// files than its confirmed set — never the "may" set: a write that failed
// widened it without META changing (so a restart, or the next round after
// a failure, finds exactly the tablets META is behind on). Without `publication`, nothing here is used and
// files and segments go as soon as the engine no longer needs them.

import type { FragmentLists } from './tablet-transfer.js';

export interface PublishedTablet {
  readonly id: string;
  readonly table: string;
  /** The lists to write to META: per group (and LEGACY_FRAGMENTS), oldest first, absolute paths. */
  readonly fragments: FragmentLists;
}

/** What publicationSnapshot hands the tablet server to write to META. */
export interface PublicationSnapshot {
  /** Tablets whose lists changed since they were last written to META. */
  readonly tablets: readonly PublishedTablet[];
  /** Log segments below this hold nothing META's configs need once every tablet above is written. */
  readonly logFloor: number;
}

/** Every fragment name (canonical) in `lists`. */
export function namesOf(lists: FragmentLists, canonical: (name: string) => string): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(lists)) for (const n of list) out.add(canonical(n));
  return out;
}

/** Where a tablet was when its lists were published (to find its config again after it left). */
export interface PublishedIdentity {
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
}

interface Entry {
  readonly may: Set<string>;
  confirmed: Set<string> | undefined;
  identity: PublishedIdentity;
}

/** Persisted form of one tablet's entry (manifest). */
export interface PublishedEntryJSON {
  readonly may: readonly string[];
  readonly confirmed: readonly string[] | null;
  readonly table: string;
  readonly lower: string | null;
  readonly upper: string | null;
}

const b64 = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b).toString('base64'));
const unb64 = (s: string | null) => (s === null ? undefined : Buffer.from(s, 'base64'));

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): boolean {
  if (a === undefined || a.size !== b.size) return false;
  for (const n of b) if (!a.has(n)) return false;
  return true;
}

/** The published sets and the published log floor; persisted in the manifest. */
export class PublishedState {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** Log segments below this may be deleted. */
    public logFloor: number,
    entries: Readonly<Record<string, PublishedEntryJSON>> = {},
  ) {
    for (const [id, e] of Object.entries(entries)) {
      this.entries.set(id, {
        may: new Set(e.may),
        confirmed: e.confirmed === null ? undefined : new Set(e.confirmed),
        identity: { table: e.table, lowerExclusive: unb64(e.lower), upperInclusive: unb64(e.upper) },
      });
    }
  }

  /** META may name `names` for tablet `id` (added to what it may name already); true when that added any. */
  widen(id: string, identity: PublishedIdentity, names: Iterable<string>): boolean {
    let e = this.entries.get(id);
    if (e === undefined) this.entries.set(id, (e = { may: new Set(), confirmed: undefined, identity }));
    e.identity = identity;
    const before = e.may.size;
    for (const n of names) e.may.add(n);
    return e.may.size !== before;
  }

  /** META names exactly `names` for tablet `id` now (a write succeeded). */
  settle(id: string, names: ReadonlySet<string>): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    e.confirmed = new Set(names);
    e.may.clear();
    for (const n of names) e.may.add(n);
  }

  /** META names none of this engine's files for tablet `id` any more (or never will). */
  forget(id: string): void {
    this.entries.delete(id);
  }

  /** A split: both halves' configs may name whatever the parent's may; neither is confirmed yet. */
  inherit(parent: string, children: readonly { id: string; identity: PublishedIdentity }[]): void {
    const e = this.entries.get(parent);
    this.entries.delete(parent);
    if (e !== undefined) for (const c of children) this.widen(c.id, c.identity, e.may);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  identity(id: string): PublishedIdentity | undefined {
    return this.entries.get(id)?.identity;
  }

  /** Was META last confirmed to name exactly `names` for the tablet? */
  confirmedEquals(id: string, names: ReadonlySet<string>): boolean {
    return sameSet(this.entries.get(id)?.confirmed, names);
  }

  /** Is `name` in any "may" set? */
  names(name: string): boolean {
    for (const e of this.entries.values()) if (e.may.has(name)) return true;
    return false;
  }

  /** Every name in any "may" set. */
  allNames(): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries.values()) for (const n of e.may) out.add(n);
    return out;
  }

  /** For the manifest. */
  toJSON(): Record<string, PublishedEntryJSON> {
    const out: Record<string, PublishedEntryJSON> = {};
    for (const id of [...this.entries.keys()].sort()) {
      const e = this.entries.get(id)!;
      out[id] = {
        may: [...e.may].sort(),
        confirmed: e.confirmed === undefined ? null : [...e.confirmed].sort(),
        table: e.identity.table,
        lower: b64(e.identity.lowerExclusive),
        upper: b64(e.identity.upperInclusive),
      };
    }
    return out;
  }
}
