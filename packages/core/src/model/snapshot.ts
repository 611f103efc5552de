/**
 * Snapshot and restore of the whole simulated state between two steps, for exhaustive search:
 * partial-order reduction decides whether two steps commute in a state by taking them in both
 * orders from it (Simulator.commutes) and comes back. Everything is saved — semantic state and
 * bookkeeping alike (costs, finding records), so that a restore leaves no trace: every typed
 * array and primitive field of the Kernel (and `violation`), the store buffers, the slab, and
 * the plugins' declared state (Kernel.declareState; a cell whose plugins do not declare theirs
 * cannot be snapshotted: Simulator.stateHashRefusal). Arrays are copied into preallocated
 * buffers and back into the same arrays (plugins hold references to them): no allocation per
 * snapshot after refresh().
 */
import type { Kernel } from './kernel.js';
import { compileKeyed, isView, type View } from './state-hash.js';

type Copy = (o: unknown, v: unknown[]) => void;

export class KernelSnapshot {
  private arrays: Uint8Array[] = [];
  private copies: Uint8Array[] = [];
  private values: unknown[] = [];
  private sbKeys: string[] = [];
  private sbValues: unknown[] = [];
  private readonly slabScalars = new Float64Array(8);
  private saveKeys: Copy = () => {};
  private loadKeys: Copy = () => {};

  constructor(private readonly k: Kernel) {}

  /** Collect what to save: call after the run's reset (arrays may be reallocated, plugins declare theirs again). */
  refresh(): void {
    const arrays: Uint8Array[] = [];
    const bytes = (v: View): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const keys: string[] = [];
    for (const [name, v] of Object.entries(this.k)) {
      if (isView(v)) arrays.push(bytes(v));
      else if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || name === 'violation') keys.push(name);
    }
    const sbKeys: string[] = [];
    for (const [name, v] of Object.entries(this.k.sb)) {
      if (isView(v)) arrays.push(bytes(v));
      else if (typeof v === 'number' || typeof v === 'boolean') sbKeys.push(name);
    }
    if (this.k.sb.tso) for (const v of this.k.sb.mem) arrays.push(bytes(v as View));
    for (const v of this.k.slab.stateArrays()) arrays.push(bytes(v));
    arrays.push(bytes(this.k.slab.statePartialFlags()));
    for (const v of this.k.declaredState) arrays.push(bytes(v as View));
    // Under sc some arrays alias others (rqCurrMem is rqCurr, the store buffers' mem is view): saving twice is harmless.
    this.arrays = arrays;
    this.copies = arrays.map((a, i) => (this.copies[i]?.length === a.length ? this.copies[i]! : new Uint8Array(a.length)));
    // diff(): 32-bit words where an array's bytes allow it, bytes otherwise (two monomorphic lists).
    this.wLive = [];
    this.wCopy = [];
    this.wIdx = [];
    this.bLive = [];
    this.bCopy = [];
    this.bIdx = [];
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i]!;
      const c = this.copies[i]!;
      if (a.byteOffset % 4 === 0 && a.byteLength % 4 === 0 && c.byteOffset % 4 === 0) {
        this.wLive.push(new Int32Array(a.buffer, a.byteOffset, a.byteLength / 4));
        this.wCopy.push(new Int32Array(c.buffer, c.byteOffset, c.byteLength / 4));
        this.wIdx.push(i);
      } else {
        this.bLive.push(a);
        this.bCopy.push(c);
        this.bIdx.push(i);
      }
    }
    this.kept = new Array(arrays.length);
    this.maskFor = null;
    this.values = new Array(keys.length);
    this.saveKeys = compileKeyed(
      'save',
      keys,
      'o,v',
      (key, i) => `v[${i}] = o.${key};`,
      '',
      (o: unknown, v: unknown[]) => {
        for (let i = 0; i < keys.length; i++) v[i] = (o as Record<string, unknown>)[keys[i]!];
      },
    );
    this.loadKeys = compileKeyed(
      'load',
      keys,
      'o,v',
      (key, i) => `o.${key} = v[${i}];`,
      '',
      (o: unknown, v: unknown[]) => {
        for (let i = 0; i < keys.length; i++) (o as Record<string, unknown>)[keys[i]!] = v[i];
      },
    );
    this.sbKeys = sbKeys;
    this.sbValues = new Array(sbKeys.length);
  }

  capture(): void {
    for (let i = 0; i < this.arrays.length; i++) this.copies[i]!.set(this.arrays[i]!);
    this.saveKeys(this.k, this.values);
    const sb = this.k.sb as unknown as Record<string, unknown>;
    for (let i = 0; i < this.sbKeys.length; i++) this.sbValues[i] = sb[this.sbKeys[i]!];
    this.k.slab.writeStateScalars(this.slabScalars, 0);
  }

  private wLive: Int32Array[] = [];
  private wCopy: Int32Array[] = [];
  private wIdx: number[] = [];
  private bLive: Uint8Array[] = [];
  private bCopy: Uint8Array[] = [];
  private bIdx: number[] = [];
  private kept: (Uint8Array | undefined)[] = [];
  private mask: Uint8Array = new Uint8Array(0);
  private maskFor: readonly ArrayBufferView[] | null = null;

  /** Arrays saved (the length of diff()'s flags). */
  get size(): number {
    return this.arrays.length;
  }

  /**
   * Flag in `dirty` (one byte per saved array) the arrays whose contents differ from the
   * capture now. For experiments (Simulator.commutesWith): restoreDirty() then undoes only those.
   */
  diff(dirty: Uint8Array): void {
    for (let j = 0; j < this.wLive.length; j++) {
      const a = this.wLive[j]!;
      const b = this.wCopy[j]!;
      let d = 0;
      for (let x = 0; x < a.length; x++)
        if (a[x] !== b[x]) {
          d = 1;
          break;
        }
      dirty[this.wIdx[j]!] = d;
    }
    for (let j = 0; j < this.bLive.length; j++) {
      const a = this.bLive[j]!;
      const b = this.bCopy[j]!;
      let d = 0;
      for (let x = 0; x < a.length; x++)
        if (a[x] !== b[x]) {
          d = 1;
          break;
        }
      dirty[this.bIdx[j]!] = d;
    }
  }

  /** restore() for a state whose arrays differ from the capture only where diff() flagged them. */
  restoreDirty(dirty: Uint8Array): void {
    for (let i = 0; i < this.arrays.length; i++) if (dirty[i] === 1) this.arrays[i]!.set(this.copies[i]!);
    this.restoreScalars();
  }

  /**
   * Which saved arrays are among `views` (the same memory: a StateHasher's, StateHasher.views()),
   * one byte per saved array; computed once per refresh() and `views` list.
   */
  private maskOf(views: readonly ArrayBufferView[]): Uint8Array {
    if (this.maskFor === views) return this.mask;
    const m = new Uint8Array(this.arrays.length);
    for (const v of views) {
      let found = false;
      for (let i = 0; i < this.arrays.length; i++) {
        const a = this.arrays[i]!;
        if (v.buffer === a.buffer && v.byteOffset === a.byteOffset && v.byteLength === a.byteLength) {
          m[i] = 1;
          found = true;
        }
      }
      // Every array the hasher reads must be one saved here, or comparing would miss it.
      if (!found) throw new Error('KernelSnapshot: a hashed array is not among the saved ones (refresh both after the same reset)');
    }
    this.mask = m;
    this.maskFor = views;
    return m;
  }

  /** Keep a copy of the arrays among `views` that `dirty` flags (for sameDirty()). */
  keepDirty(dirty: Uint8Array, views: readonly ArrayBufferView[]): void {
    const m = this.maskOf(views);
    for (let i = 0; i < this.arrays.length; i++) {
      if (dirty[i] !== 1 || m[i] !== 1) continue;
      const a = this.arrays[i]!;
      let c = this.kept[i];
      if (c === undefined) c = this.kept[i] = new Uint8Array(a.length);
      c.set(a);
    }
  }

  /**
   * Whether the arrays among `views` hold now what they held at keepDirty(d1): `d1` flags the
   * arrays that differed from the capture then, `d2` those that do now (diff()).
   */
  sameDirty(d1: Uint8Array, d2: Uint8Array, views: readonly ArrayBufferView[]): boolean {
    const m = this.maskOf(views);
    for (let i = 0; i < this.arrays.length; i++) {
      if (m[i] !== 1) continue;
      if (d1[i] !== d2[i]) return false;
      if (d1[i] !== 1) continue;
      const a = this.arrays[i]!;
      const c = this.kept[i]!;
      for (let x = 0; x < a.length; x++) if (a[x] !== c[x]) return false;
    }
    return true;
  }

  restore(): void {
    for (let i = 0; i < this.arrays.length; i++) this.arrays[i]!.set(this.copies[i]!);
    this.restoreScalars();
  }

  private restoreScalars(): void {
    this.loadKeys(this.k, this.values);
    const sb = this.k.sb as unknown as Record<string, unknown>;
    for (let i = 0; i < this.sbKeys.length; i++) sb[this.sbKeys[i]!] = this.sbValues[i];
    this.k.slab.readStateScalars(this.slabScalars, 0);
    this.k.dirtyCpus = -1; // the enabled-actor cache must look again
  }
}
