/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit state). Fast in JS because it
 * only uses 32-bit integer ops; the state lives in four numbers, so drawing allocates nothing.
 */
export class Sfc32 {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(s0 = 0, s1 = 0, s2 = 0, s3 = 1) {
    this.seed(s0, s1, s2, s3);
  }

  seed(s0: number, s1: number, s2: number, s3: number): void {
    this.a = s0 | 0;
    this.b = s1 | 0;
    this.c = s2 | 0;
    this.d = s3 | 0;
    // Discard the first outputs: weak seeds (many zero bits) need a few rounds to mix.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const a = this.a,
      b = this.b,
      c = this.c,
      d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, n), n >= 1 (scaled 32-bit draw; bias < n / 2^32, irrelevant here). */
  int(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.nextU32() / 4294967296 < p;
  }
}
