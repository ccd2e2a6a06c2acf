// The publication API (DESIGN §5, §7): what the tablet server calls to
// learn which tablet configs META lacks and to acknowledge the ones it
// wrote, and what the engine's other parts ask before deleting a file or
// a log segment. The rules — "may" and "confirmed" sets per tablet, the
// published log floor, all kept in the manifest — are in publication.ts
// (PublishedState); this file applies them to the engine's tablets.
//
// Promises (engines opened with `publication: true`; without it every
// call of the API fails 'invalid-argument' and nothing is kept for META):
//  - publicationSnapshot lists exactly the tablets whose current fragment
//    lists differ from what META was last confirmed to name (after a
//    restart: every tablet whose lists moved), with the log floor as of
//    the call; from then on every file those lists name is kept;
//  - beginPublish / endPublish bracket one config write: "may" widens
//    before it (saved in the manifest before the lists are returned), and
//    only a write that succeeded narrows it again;
//  - a fragment file leaves only once no published set names it
//    (isPublished, for the fragment store), and log segments only below
//    the published log floor, which rises only when every tablet of a
//    snapshot was acknowledged and no tablet that left is still published;
//  - a split hands the parent's published files to both halves, a merge
//    both tablets' to the merged one; a dropped or forgotten tablet lets
//    its files go (sweepHeld).

import { invalidArgument } from '../errors.js';
import type { FragmentStore } from './fragment-store.js';
import type { Manifest } from './manifest.js';
import { namesOf, type PublicationSnapshot, type PublishedIdentity, PublishedState, type PublishedTablet } from './publication.js';
import type { TabletRegistry } from './tablet-registry.js';
import type { Tablet } from './tablet.js';
import { type FragmentLists, tabletFragmentLists } from './tablet-transfer.js';

/** What the publication API needs from the engine. */
export interface PublicationHost {
  readonly registry: TabletRegistry;
  readonly store: FragmentStore;
  checkOpen(): void;
  /** Oldest log segment that may hold data not yet in a disk fragment. */
  logFloor(): number;
  saveManifest(): Promise<void>;
  /** Deletes the engine's log segments below `segmentId`. */
  deleteLogSegmentsBefore(segmentId: number): Promise<unknown>;
}

/** A tablet META may still name files or the log for (publishedTablets). */
export interface PublishedTabletInfo {
  readonly id: string;
  readonly table: string;
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
  /** Still open in this engine. */
  readonly open: boolean;
}

export class PublicationApi {
  /** With publication: what META may name; undefined without. */
  private state: PublishedState | undefined;

  constructor(private readonly host: PublicationHost) {}

  /** At open, for an engine with publication: the state the manifest kept. */
  restore(manifest: Manifest): void {
    const p = manifest.publication;
    // Before publication existed here, every config in META was written
    // by this engine's own unloads and loads: nothing older is needed.
    this.state = new PublishedState(p?.logFloor ?? manifest.logFloor, p?.published ?? {});
  }

  /** The engine runs with publication. */
  get enabled(): boolean {
    return this.state !== undefined;
  }

  /** At open, after orphans are gone: owned files META may name are held, not deleted. */
  holdPublishedFiles(): void {
    if (this.state) this.host.store.hold(this.state.allNames());
  }

  /** May META name this (canonical) fragment name? Such a file is kept. */
  isPublished(name: string): boolean {
    return this.state?.names(name) ?? false;
  }

  /** Of a log floor: how far segments may be deleted (those META may still need are kept). */
  deletableLogFloor(floor: number): number {
    return Math.min(floor, this.state?.logFloor ?? floor);
  }

  /** The manifest's "publication" entry. */
  manifestEntry(): Manifest['publication'] {
    return this.state && { logFloor: this.state.logFloor, published: this.state.toJSON() };
  }

  /** Tablet `parent` was split into `children` (registered now): both may name what the parent may. */
  split(parent: string, children: readonly string[]): void {
    this.state?.inherit(
      parent,
      children.map((c) => ({ id: c, identity: identityOf(this.host.registry.get(c)) })),
    );
  }

  /** Tablets `parents` were merged into `child` (registered now): it may name what either parent may. */
  merge(parents: readonly string[], child: string): void {
    for (const p of parents) this.split(p, [child]);
  }

  /** Tablet `id` was dropped (its table is gone): no config will name its files. */
  dropped(id: string): void {
    this.state?.forget(id);
  }

  // ---- the API the tablet server calls (through Engine) ---------------------

  /** Engine.publicationSnapshot: the tablets META is behind on, and the log floor now. */
  async snapshot(): Promise<PublicationSnapshot> {
    const { host } = this;
    host.checkOpen();
    const published = this.require();
    const tablets: PublishedTablet[] = [];
    const logFloor = host.logFloor();
    let widened = false;
    for (const t of host.registry.tablets.values()) {
      const fragments = tabletFragmentLists(host.store, t);
      const names = this.namesIn(fragments);
      // Against what META was CONFIRMED to name: a failed write widened "may" without META changing.
      if (published.confirmedEquals(t.def.id, names)) continue;
      if (published.widen(t.def.id, identityOf(t), names)) widened = true;
      tablets.push({ id: t.def.id, table: t.def.table, fragments });
    }
    // Saved only when something was added: a tablet that cannot be written is in every snapshot.
    if (widened) await host.saveManifest();
    return { tablets, logFloor };
  }

  /** Engine.acknowledgePublication: the configs of `publishedIds` (of the snapshot) are in META now. */
  async acknowledge(snapshot: PublicationSnapshot, publishedIds: readonly string[]): Promise<void> {
    const { host } = this;
    host.checkOpen();
    const published = this.require();
    const ok = new Set(publishedIds);
    let changed = false;
    for (const t of snapshot.tablets) {
      if (!ok.has(t.id) || !published.has(t.id)) continue;
      published.settle(t.id, this.namesIn(t.fragments));
      changed = true;
    }
    // A tablet that left (unload, or a split's parent) while META may still
    // name its lists and this log holds the log back too (forget).
    const complete = snapshot.tablets.every((t) => ok.has(t.id)) && published.ids().every((id) => host.registry.tablets.has(id));
    if (complete && snapshot.logFloor > published.logFloor) {
      published.logFloor = snapshot.logFloor;
      changed = true;
    }
    if (!changed) return;
    await host.saveManifest();
    await host.store.sweepHeld();
    if (complete) await host.deleteLogSegmentsBefore(Math.min(published.logFloor, host.logFloor()));
  }

  /** Engine.beginPublish: a tablet's lists before its config is written, kept from here on; `save`: the manifest changed anyway. */
  async begin(id: string, save = false): Promise<FragmentLists> {
    const { host } = this;
    host.checkOpen();
    const published = this.require();
    const t = host.registry.get(id);
    const fragments = tabletFragmentLists(host.store, t);
    if (published.widen(id, identityOf(t), this.namesIn(fragments)) || save) await host.saveManifest();
    return fragments;
  }

  /** Engine.endPublish: META names exactly `lists` for tablet `id` now. */
  async end(id: string, lists: FragmentLists): Promise<void> {
    const { host } = this;
    host.checkOpen();
    const published = this.require();
    if (!published.has(id)) return;
    published.settle(id, this.namesIn(lists));
    await host.saveManifest();
    await host.store.sweepHeld();
  }

  /** Engine.forgetPublished: META names none of this engine's lists for tablet `id` any more. */
  async forget(id: string): Promise<void> {
    const { host } = this;
    host.checkOpen();
    if (host.registry.tablets.has(id)) throw invalidArgument(`tablet ${id} is still open here; unload it first`);
    this.require().forget(id);
    await host.saveManifest();
    await host.store.sweepHeld();
  }

  /** Engine.publishedTablets: tablets META may still name files or this log for. */
  tablets(): PublishedTabletInfo[] {
    const published = this.require();
    return published.ids().map((id) => ({ id, ...published.identity(id)!, open: this.host.registry.tablets.has(id) }));
  }

  private require(): PublishedState {
    if (!this.state) throw invalidArgument('this engine was opened without publication');
    return this.state;
  }

  /** The canonical names in fragment lists (what published sets hold). */
  private namesIn(lists: FragmentLists): Set<string> {
    return namesOf(lists, (n) => this.host.store.canonical(n));
  }
}

function identityOf(t: Tablet): PublishedIdentity {
  return { table: t.def.table, lowerExclusive: t.def.lowerExclusive, upperInclusive: t.def.upperInclusive };
}
