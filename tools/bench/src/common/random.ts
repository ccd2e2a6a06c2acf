// Seeded randomness so every run (and both engines) see the same "random"
// keys: mulberry32, small and fast; not for anything but benchmarks.

export type Random = () => number;

/** Uniform in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rnd: Random, n: number): number {
  return Math.floor(rnd() * n);
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rnd: Random): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rnd, i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
