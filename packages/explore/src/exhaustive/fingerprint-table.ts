/**
 * The visited-state table of a hashed exhaustive search: 64-bit state fingerprints (two 32-bit
 * lanes, core's StateHasher) mapped to a 32-bit value: the fewest preemptions any branch
 * reached the state with (visit), or the sleep set it was explored with (visitSleep). Open addressing with linear probing over flat typed arrays, doubled at half load: no
 * allocation per lookup. Fingerprint 0:0 is the empty-slot marker, so it is stored as 0:1 (one
 * more merge in 2^64).
 */
export class FingerprintTable {
  private lo: Uint32Array;
  private hi: Uint32Array;
  private val: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacityLog2 = 16) {
    const cap = 1 << capacityLog2;
    this.lo = new Uint32Array(cap);
    this.hi = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /**
   * Visit a state reached with `preemptions`: true when it must be explored (never seen, or
   * seen only with more preemptions, which left less of the bound for its successors); the
   * table then keeps the fewer. False when a branch with no more preemptions explored it.
   */
  visit(lo: number, hi: number, preemptions: number): boolean {
    const i = this.slot(lo, hi);
    if (i < 0) {
      this.insert(~i, lo, hi, preemptions);
      return true;
    }
    if (preemptions >= this.val[i]!) return false;
    this.val[i] = preemptions;
    return true;
  }

  /**
   * Visit a state reached with sleep set `sleep` (a bitmask of actor ids, partial-order
   * reduction): true when it must be explored — never seen, or explored with a sleep set that
   * is not a subset of this one (some transition asleep then must be taken now); the table then
   * keeps the intersection (what has been explored from the state). False when a visit with no
   * more asleep explored it. (Sleep sets with state hashing are unsound without this: a state
   * first reached with a large sleep set would hide transitions a later path needs.)
   */
  visitSleep(lo: number, hi: number, sleep: number): boolean {
    const i = this.slot(lo, hi);
    if (i < 0) {
      this.insert(~i, lo, hi, sleep >>> 0);
      return true;
    }
    const stored = this.val[i]!;
    if ((stored & ~sleep) >>> 0 === 0) return false;
    this.val[i] = (stored & sleep) >>> 0;
    return true;
  }

  /** The slot holding lo:hi, or ~(the empty slot where it goes). 0:0 is stored as 0:1. */
  private slot(lo: number, hi: number): number {
    if (lo === 0 && hi === 0) hi = 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const l = this.lo[i]!;
      const h = this.hi[i]!;
      if (l === 0 && h === 0) return ~i;
      if (l === lo && h === hi) return i;
      i = (i + 1) & this.mask;
    }
  }

  private insert(i: number, lo: number, hi: number, value: number): void {
    this.lo[i] = lo;
    this.hi[i] = lo === 0 && hi === 0 ? 1 : hi;
    this.val[i] = value;
    if (++this.size * 2 > this.mask) this.grow();
  }

  private grow(): void {
    const { lo, hi, val } = this;
    const cap = lo.length * 2;
    this.lo = new Uint32Array(cap);
    this.hi = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let j = 0; j < lo.length; j++) {
      if (lo[j] === 0 && hi[j] === 0) continue;
      let i = (lo[j]! ^ Math.imul(hi[j]!, 0x9e3779b1)) & this.mask;
      while (this.lo[i] !== 0 || this.hi[i] !== 0) i = (i + 1) & this.mask;
      this.lo[i] = lo[j]!;
      this.hi[i] = hi[j]!;
      this.val[i] = val[j]!;
      this.size++;
    }
  }
}
