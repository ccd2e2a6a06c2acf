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
//  - for every tablet the engine keeps the set of fragment names META MAY
//    name for it ("published"): a write of a tablet's config to META first
//    adds the lists it is about to write (beginPublish — a failed or
//    unknown write leaves the union, which is safe), and after the write
//    succeeded the set becomes exactly those lists (endPublish);
//  - a file this engine owns is deleted only when no chain lists it, no
//    scan holds it and no published set names it;
//  - log segments are deleted only below the "published log floor": the
//    log floor as of a snapshot every changed tablet of which was then
//    written to META (acknowledgePublication with all its tablets);
//  - both the sets and the published floor are in the manifest, so a
//    restart keeps what META may still need.
// A tablet is "changed" when its current lists name a different set of
// files than its published set (so a restart finds only tablets whose
// lists really moved). Without `publication`, nothing here is used and
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

/** The published sets and the published log floor; persisted in the manifest. */
export class PublishedState {
  private readonly sets = new Map<string, Set<string>>();

  constructor(
    /** Log segments below this may be deleted. */
    public logFloor: number,
    sets: Readonly<Record<string, readonly string[]>> = {},
  ) {
    for (const [id, names] of Object.entries(sets)) this.sets.set(id, new Set(names));
  }

  /** META may name `names` for tablet `id` (added to what it may name already). */
  widen(id: string, names: Iterable<string>): void {
    let set = this.sets.get(id);
    if (set === undefined) this.sets.set(id, (set = new Set()));
    for (const n of names) set.add(n);
  }

  /** META names exactly `names` for tablet `id` now. */
  settle(id: string, names: Iterable<string>): void {
    this.sets.set(id, new Set(names));
  }

  /** META names none of this engine's files for tablet `id` any more (or never will). */
  forget(id: string): void {
    this.sets.delete(id);
  }

  /** A split: both halves' configs may name whatever the parent's may. */
  inherit(parent: string, children: readonly string[]): void {
    const set = this.sets.get(parent);
    this.sets.delete(parent);
    if (set !== undefined) for (const c of children) this.widen(c, set);
  }

  ids(): string[] {
    return [...this.sets.keys()];
  }

  has(id: string): boolean {
    return this.sets.has(id);
  }

  /** Does the tablet's published set equal `names`? */
  matches(id: string, names: ReadonlySet<string>): boolean {
    const set = this.sets.get(id);
    if (set === undefined || set.size !== names.size) return false;
    for (const n of names) if (!set.has(n)) return false;
    return true;
  }

  /** Is `name` in any published set? */
  names(name: string): boolean {
    for (const set of this.sets.values()) if (set.has(name)) return true;
    return false;
  }

  /** Every name in any set. */
  allNames(): Set<string> {
    const out = new Set<string>();
    for (const set of this.sets.values()) for (const n of set) out.add(n);
    return out;
  }

  /** For the manifest: id → sorted names. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const id of [...this.sets.keys()].sort()) out[id] = [...this.sets.get(id)!].sort();
    return out;
  }
}
