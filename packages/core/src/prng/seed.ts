/**
 * Seeds. A run's seed is 128 bits, written as 32 hex digits. Per-run seeds are derived by
 * hashing (cell id, run index), so a run's result never depends on which worker, batch or
 * shard ran it.
 */

/** A run seed: four unsigned 32-bit words. */
export type RunSeed = readonly [number, number, number, number];

/** cyrb128-style string hash to four 32-bit words (good avalanche, no dependencies). */
export function hashString128(str: string): RunSeed {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** murmur3 fmix32 finalizer (also model/state-hash.ts's). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The seed of run `runIndex` of a cell whose id hashed to `cell`. Pure arithmetic on the
 * cell hash, so a worker hashes the cell id once and derives millions of run seeds cheaply.
 */
export function runSeed(cell: RunSeed, runIndex: number): RunSeed {
  const lo = runIndex >>> 0;
  const hi = Math.floor(runIndex / 4294967296) >>> 0;
  return [
    fmix32(cell[0] ^ fmix32(lo + 0x9e3779b9)),
    fmix32(cell[1] ^ fmix32(hi + 0x7f4a7c15) ^ Math.imul(lo, 0x9e3779b1)),
    fmix32(cell[2] ^ fmix32((lo ^ 0x632be59b) >>> 0)),
    fmix32(cell[3] ^ fmix32((hi ^ 0x85157af5) >>> 0) ^ lo),
  ];
}

export function seedToHex(seed: RunSeed): string {
  return seed.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
}

export function seedFromHex(hex: string): RunSeed {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new Error(`invalid run seed "${hex}": expected 32 hex digits`);
  }
  return [0, 1, 2, 3].map((i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0) as unknown as RunSeed;
}
