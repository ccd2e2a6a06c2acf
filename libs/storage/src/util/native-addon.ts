// Native addons are optional accelerators behind ports (the block codec,
// the block checksum): each is loaded on first use, never at import time,
// and a failed load (no prebuilt binary, a broken node-gyp build, another
// Node ABI) falls back to the TypeScript implementation in
// @kdi/primitives with a one-line warning. So `import '@kdi/storage'`
// cannot fail for an addon, and the formats do not depend on which ran.
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** What a lazy addon loader needs: how to load, what it is, what runs instead. */
export interface AddonSpec<T> {
  /** The npm package, for the warning. */
  readonly name: string;
  /** The TypeScript implementation used when the addon does not load. */
  readonly fallback: string;
  /** Loads and checks the addon; throws when it is unusable. Default: require(name). */
  readonly load?: () => T;
  /** Where the one-line warning goes (default console.warn). */
  readonly warn?: (line: string) => void;
}

/**
 * A function that returns the addon, loading it on the first call, or
 * null (every time) when it did not load.
 */
export function lazyAddon<T>(spec: AddonSpec<T>): () => T | null {
  let state: { readonly addon: T | null } | undefined;
  return () => {
    if (state === undefined) {
      try {
        state = { addon: spec.load ? spec.load() : (requireHere(spec.name) as T) };
      } catch (e) {
        const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
        (spec.warn ?? console.warn)(`kdi: the native ${spec.name} addon did not load (${why}); using ${spec.fallback} instead`);
        state = { addon: null };
      }
    }
    return state.addon;
  };
}
