/**
 * A 64-bit fingerprint of the simulated state between two steps, for exhaustive search with
 * state hashing (a state reached twice is explored once). Soundness needs every part of the
 * state that decides what can happen next — or what a later oracle says — to be hashed;
 * hashing more only loses merges. So the hasher is sound by default: it takes EVERY typed
 * array the Kernel owns except a named list of bookkeeping (costs, finding records, per-step
 * scratch, constants of the run), the store buffers' and the slab's arrays, the semantic
 * scalars, and the state the arch and scheme plugins declare (Kernel.declareState, called by
 * their reset()); a new Kernel array is hashed unless someone adds it to BOOKKEEPING.
 *
 * Rings and stacks are hashed whole, stale slots included (sound; it only loses merges between
 * states that differ in dead slots). The step count is not hashed — the model's behaviour does
 * not depend on it — unless a step-count deadline is live (a paravirt vCPU preemption or
 * resume pending: Kernel.vcpuNextAt, cpuResumeAt), when it is.
 *
 * Two independent 32-bit lanes (murmur3's mixing, different seeds) make the 64 bits: for N
 * states the chance that two distinct states collide is about N²/2^65 (1e-7 for 2·10⁶ states).
 */
import { fmix32 } from '../prng/seed.js';
import type { Kernel } from './kernel.js';

/** Kernel typed arrays that are not state: accounting, finding records, per-step scratch, and the run's constants. */
export const BOOKKEEPING: ReadonlySet<string> = new Set([
  // accounting (costs only)
  'cost',
  'mmLineOwner',
  'mmLazyPinned',
  // finding records (first sites, hazard records): they record, they do not steer
  'siteStep',
  'siteCpu',
  'siteMm',
  'siteOther',
  'hzStep',
  'hzCpu',
  'hzMm',
  'hzHolder',
  'hzTask',
  'hzUntil',
  // per-step scratch (checkRefcounts resets it)
  'touched',
  // constants of the run (written by the workload loader only)
  'prog',
  'taskEnd',
  'vcpuAt',
  'vcpuFor',
]);

/** Kernel scalars that are not state: the step count (see hash()), per-step transients, accumulators and finding masks. */
export const BOOKKEEPING_SCALARS: ReadonlySet<string> = new Set([
  'step',
  'cpu',
  'inIrq',
  'ipiSender',
  'hook',
  'mmStateTouched',
  'dirtyCpus',
  'calls',
  'siteMask',
  'hazardMask',
  'hzLen',
  'hazardOverflow',
  'danglingOpen',
  'zombies',
  'lazyPinned',
  'pinnedSince',
  'eventStep',
  'dispatchStep',
  'touchedLen',
  // accounting: the cost event the step is charged to
  'costEvent',
  'dispatchFrame',
]);

/** Kernel.vcpuNextAt when no vCPU preemption is planned. */
const NO_DEADLINE = 0x7fffffff;

export type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array | Float32Array;

export const isView = (v: unknown): v is View => ArrayBuffer.isView(v) && !(v instanceof DataView);

const IDENT = /^[A-Za-z_$][\w$]*$/;
const compiled = new Map<string, unknown>();

/**
 * A function of (object, values) built from `body(key, i)` per key: compiled once per key list
 * (plain property loads and stores, where a loop over keys makes megamorphic keyed accesses),
 * or `loop` where code cannot be compiled (a content security policy) or a key is not an identifier.
 */
export function compileKeyed<F>(tag: string, keys: readonly string[], params: string, body: (key: string, i: number) => string, tail: string, loop: F): F {
  if (!keys.every((k) => IDENT.test(k))) return loop;
  const id = `${tag}:${keys.join(',')}`;
  let f = compiled.get(id) as F | undefined;
  if (f === undefined) {
    try {
      f = new Function(...params.split(','), `${keys.map(body).join('\n')}\n${tail}`) as F;
    } catch {
      f = loop;
    }
    compiled.set(id, f);
  }
  return f;
}

/** The per-run list of what to hash, rebuilt after each reset (arrays may be reallocated, plugins declare theirs again). */
export class StateHasher {
  /** Each array as 32-bit words, or as bytes when its length is not a multiple of 4 bytes. */
  private words: (Int32Array | Uint8Array)[] = [];
  private scalars = new Float64Array(256);
  private scalarKeys: string[] = [];
  private readScalars: (k: unknown, out: Float64Array, n: number) => number = () => 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64w = new Int32Array(this.f64.buffer);

  constructor(private readonly k: Kernel) {}

  /** Collect the arrays to hash: call after the run's reset (Simulator.begin), before the first hash. */
  refresh(): void {
    const words: (Int32Array | Uint8Array)[] = [];
    const add = (v: View): void => {
      // Every typed array is hashed through its bytes' 32-bit words, or byte by byte when it is not a multiple of 4.
      words.push(v.byteLength % 4 === 0 ? new Int32Array(v.buffer, v.byteOffset, v.byteLength / 4) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    };
    for (const [name, v] of Object.entries(this.k)) if (isView(v) && !BOOKKEEPING.has(name)) add(v);
    for (const v of Object.values(this.k.sb)) if (isView(v)) add(v);
    // sb.mem is indexed by shared slot: slots nobody declared (between the arch's and a scheme's) are holes.
    if (this.k.sb.tso) for (const v of this.k.sb.mem) if (v !== undefined) add(v as View);
    for (const v of this.k.slab.stateArrays()) add(v);
    add(this.k.slab.statePartialFlags());
    // Scalars: every number or boolean field of the Kernel but the bookkeeping ones.
    this.scalarKeys = Object.keys(this.k).filter((key) => {
      const v = (this.k as unknown as Record<string, unknown>)[key];
      return (typeof v === 'number' || typeof v === 'boolean') && !BOOKKEEPING_SCALARS.has(key);
    });
    for (const v of this.k.declaredState) add(v as View);
    this.words = words;
    const keys = this.scalarKeys;
    this.readScalars = compileKeyed(
      'hash',
      keys,
      'o,out,n',
      (key) => `out[n++] = Number(o.${key});`,
      'return n;',
      (o: unknown, out: Float64Array, n: number) => {
        const r = o as Record<string, number | boolean>;
        for (const key of keys) out[n++] = Number(r[key]);
        return n;
      },
    );
  }

  /** The fingerprint of the state now: out[0], out[1] (two 32-bit lanes). No allocation. */
  hash(out: Uint32Array): void {
    let a = 0x9747b28c | 0;
    let b = 0x5bd1e995 | 0;
    for (const arr of this.words) {
      a = step32(a, arr.length);
      b = step32(b, arr.length ^ 0x27d4eb2f);
      for (let i = 0; i < arr.length; i++) {
        const x = arr[i]!;
        a = step32(a, x);
        b = step32(b, x ^ 0x27d4eb2f);
      }
    }
    const sc = this.scalars;
    const n = this.fillScalars(sc);
    for (let i = 0; i < n; i++) {
      this.f64[0] = sc[i]!;
      const lo = this.f64w[0]!;
      const hi = this.f64w[1]!;
      a = step32(step32(a, lo), hi);
      b = step32(step32(b, lo ^ 0x27d4eb2f), hi ^ 0x27d4eb2f);
    }
    out[0] = fmix32(a ^ this.words.length);
    out[1] = fmix32(b ^ n);
  }

  /** The hashed scalars into `sc` (see hash()); returns how many. */
  private fillScalars(sc: Float64Array): number {
    let n = this.readScalars(this.k, sc, 0);
    n = this.k.slab.writeStateScalars(sc, n);
    sc[n++] = this.k.sb.busy;
    // A step-count deadline that is still ahead (a paravirt vCPU preemption or resume) makes the step count state.
    const step = this.k.step;
    let deadline = this.k.vcpuNextAt !== NO_DEADLINE && this.k.vcpuNextAt > step;
    for (let c = 0; c < this.k.ncpu && !deadline; c++) if (this.k.cpuResumeAt[c]! > step) deadline = true;
    sc[n++] = deadline ? step : -1;
    return n;
  }

  /** keep()'s copies: the word arrays and the byte arrays apart (monomorphic loops). */
  private keptWords: Int32Array[] = [];
  private keptWordsOf: Int32Array[] = [];
  private keptBytes: Uint8Array[] = [];
  private keptBytesOf: Uint8Array[] = [];
  private keptFor: (Int32Array | Uint8Array)[] | null = null;
  private keptScalars = new Float64Array(256);
  private keptN = 0;
  private readonly cmpScalars = new Float64Array(256);

  /**
   * Keep a copy of what hash() reads in the state now, for sameAsKept(): comparing two states
   * this way is exact, where comparing fingerprints is exact up to a collision, and cheaper
   * than two hashes (Simulator.commutesWith).
   */
  keep(): void {
    if (this.keptFor !== this.words) {
      // A new run's list (refresh()): the copies of the last one are reused where the sizes match.
      this.keptFor = this.words;
      const oldWords = this.keptWords;
      const oldBytes = this.keptBytes;
      this.keptWordsOf = [];
      this.keptWords = [];
      this.keptBytesOf = [];
      this.keptBytes = [];
      for (const w of this.words) {
        if (w instanceof Int32Array) {
          const old = oldWords[this.keptWords.length];
          this.keptWordsOf.push(w);
          this.keptWords.push(old?.length === w.length ? old : new Int32Array(w.length));
        } else {
          const old = oldBytes[this.keptBytes.length];
          this.keptBytesOf.push(w);
          this.keptBytes.push(old?.length === w.length ? old : new Uint8Array(w.length));
        }
      }
    }
    for (let i = 0; i < this.keptWords.length; i++) this.keptWords[i]!.set(this.keptWordsOf[i]!);
    for (let i = 0; i < this.keptBytes.length; i++) this.keptBytes[i]!.set(this.keptBytesOf[i]!);
    this.keptN = this.fillScalars(this.keptScalars);
  }

  /** Whether the state now hashes the same data as the state keep() saw (so the same fingerprint). */
  sameAsKept(): boolean {
    if (this.keptFor !== this.words) throw new Error('StateHasher.sameAsKept: keep() first, after the same refresh()');
    for (let i = 0; i < this.keptWords.length; i++) {
      const a = this.keptWordsOf[i]!;
      const b = this.keptWords[i]!;
      for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
    }
    for (let i = 0; i < this.keptBytes.length; i++) {
      const a = this.keptBytesOf[i]!;
      const b = this.keptBytes[i]!;
      for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
    }
    const n = this.fillScalars(this.cmpScalars);
    if (n !== this.keptN) return false;
    for (let i = 0; i < n; i++) if (!Object.is(this.cmpScalars[i], this.keptScalars[i])) return false;
    return true;
  }
}

/** One murmur3 block step. */
function step32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
