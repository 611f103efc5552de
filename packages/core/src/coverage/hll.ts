/**
 * A HyperLogLog sketch of 32-bit hashes: precision 10, i.e. 1024 one-byte registers (1 KiB),
 * relative standard error about 1.04/√1024 ≈ 3.3% (much better below a few thousand
 * distinct values, where most registers are still empty).
 *
 * - `hllAdd` is the hot-path form (a function on a bare register array, no allocation);
 *   `HyperLogLog` wraps a register array for everything else.
 * - Merging is a register-wise max, so it is commutative, associative and idempotent, and the
 *   merge of sketches is exactly the sketch of the union of their inputs: splitting the inputs
 *   any way and merging gives identical registers.
 * - `hllEstimate` is Ertl's improved raw estimator ("New cardinality estimation algorithms for
 *   HyperLogLog sketches", 2017): unbiased over the whole range without HLL++'s empirical
 *   bias tables or a switch to linear counting, and computed with +, ×, √ only in a fixed
 *   order, so the same registers give the same estimate on every machine.
 * - Serialised as the base64 of the 1024 register bytes.
 */

/** Index bits. */
export const HLL_P = 10;
/** Registers (bytes). */
export const HLL_REGISTERS = 1 << HLL_P;
/** Hash bits left for the rank: a register holds 0 (empty) .. HLL_Q + 1. */
const HLL_Q = 32 - HLL_P;
const MAX_RANK = HLL_Q + 1;
/** Length of a serialised sketch: base64 of 1024 bytes. */
export const HLL_BASE64_LENGTH = 4 * Math.ceil(HLL_REGISTERS / 3);

/** Add a 32-bit hash to `regs` (HLL_REGISTERS bytes). The hash must be well mixed. */
export function hllAdd(regs: Uint8Array, hash: number): void {
  const idx = hash >>> HLL_Q;
  const w = hash << HLL_P; // the rank bits, at the top
  const rank = w === 0 ? MAX_RANK : Math.clz32(w) + 1;
  if (rank > regs[idx]!) regs[idx] = rank;
}

/** `into[i] = max(into[i], from[i])`: `into` becomes the sketch of the union. */
export function hllMergeInto(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < HLL_REGISTERS; i++) if (from[i]! > into[i]!) into[i] = from[i]!;
}

/** No value was ever added. */
export function hllIsEmpty(regs: Uint8Array): boolean {
  for (let i = 0; i < HLL_REGISTERS; i++) if (regs[i] !== 0) return false;
  return true;
}

/** σ(x) of Ertl 2017 (Algorithm 6): the contribution of the empty registers. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

/** τ(x) of Ertl 2017: the contribution of the saturated registers. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === prev) return z / 3;
  }
}

/** Estimated number of distinct hashes added (0 for an empty sketch). */
export function hllEstimate(regs: Uint8Array): number {
  const m = HLL_REGISTERS;
  const c = new Float64Array(MAX_RANK + 1); // register-value histogram
  for (let i = 0; i < m; i++) c[regs[i]!]! += 1;
  if (c[0] === m) return 0;
  let z = m * tau(1 - c[MAX_RANK]! / m);
  for (let k = HLL_Q; k >= 1; k--) z = 0.5 * (z + c[k]!);
  z += m * sigma(c[0]! / m);
  return (m * m) / (2 * Math.LN2 * z);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Registers → base64 (padded). */
export function hllSerialize(regs: Uint8Array): string {
  let out = '';
  for (let i = 0; i < regs.length; i += 3) {
    const n = regs.length - i;
    const v = (regs[i]! << 16) | ((n > 1 ? regs[i + 1]! : 0) << 8) | (n > 2 ? regs[i + 2]! : 0);
    out += B64[(v >>> 18) & 63]! + B64[(v >>> 12) & 63]! + (n > 1 ? B64[(v >>> 6) & 63]! : '=') + (n > 2 ? B64[v & 63]! : '=');
  }
  return out;
}

export class SketchError extends Error {
  override name = 'SketchError';
}

/** base64 → registers; throws SketchError unless it is a serialised sketch of this precision. */
export function hllParse(text: string): Uint8Array {
  if (text.length !== HLL_BASE64_LENGTH) {
    throw new SketchError(`a coverage sketch is ${HLL_BASE64_LENGTH} base64 characters (${HLL_REGISTERS} registers), got ${text.length}`);
  }
  const regs = new Uint8Array(HLL_REGISTERS);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let v = 0;
    let pad = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text.charCodeAt(i + j);
      if (ch === 61 /* = */ && i + 4 === text.length && j >= 2) {
        pad++;
        v <<= 6;
        continue;
      }
      const d = ch < 128 && pad === 0 ? B64_INDEX[ch]! : -1;
      if (d < 0) throw new SketchError(`coverage sketch: invalid base64 at character ${i + j}`);
      v = (v << 6) | d;
    }
    for (let j = 0; j < 3 - pad && o < HLL_REGISTERS; j++) regs[o++] = (v >>> (16 - 8 * j)) & 255;
  }
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (regs[i]! > MAX_RANK) throw new SketchError(`coverage sketch: register ${i} is ${regs[i]}, more than ${MAX_RANK}`);
  }
  return regs;
}

/** A HyperLogLog sketch (precision 10) over a register array it owns. */
export class HyperLogLog {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    if (registers !== undefined && registers.length !== HLL_REGISTERS) {
      throw new SketchError(`a sketch has ${HLL_REGISTERS} registers, got ${registers.length}`);
    }
    this.registers = registers ?? new Uint8Array(HLL_REGISTERS);
  }

  static parse(text: string): HyperLogLog {
    return new HyperLogLog(hllParse(text));
  }

  /** The union of sketches (a new sketch; the inputs are not modified). */
  static union(sketches: Iterable<HyperLogLog>): HyperLogLog {
    const out = new HyperLogLog();
    for (const s of sketches) out.merge(s);
    return out;
  }

  add(hash: number): this {
    hllAdd(this.registers, hash);
    return this;
  }

  /** Merge `other` into this sketch (register max): this becomes the union. */
  merge(other: HyperLogLog): this {
    hllMergeInto(this.registers, other.registers);
    return this;
  }

  estimate(): number {
    return hllEstimate(this.registers);
  }

  isEmpty(): boolean {
    return hllIsEmpty(this.registers);
  }

  serialize(): string {
    return hllSerialize(this.registers);
  }

  clone(): HyperLogLog {
    return new HyperLogLog(this.registers.slice());
  }
}
