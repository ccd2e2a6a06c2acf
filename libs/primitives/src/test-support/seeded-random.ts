// A small seeded PRNG (mulberry32) for tests that draw random cases, so a
// failing seed names a case that can be replayed. Not for anything secret.

/** Uniform in [0, 1), from a 32-bit seed; each value is a 32-bit integer ÷ 2^32 (exact). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
