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
    // sb.mem is indexed by shared slot: slots nobody declared (between the arch's and a scheme's) are holes.
    if (this.k.sb.tso) for (const v of this.k.sb.mem) if (v !== undefined) arrays.push(bytes(v as View));
    for (const v of this.k.slab.stateArrays()) arrays.push(bytes(v));
    arrays.push(bytes(this.k.slab.statePartialFlags()));
    for (const v of this.k.declaredState) arrays.push(bytes(v as View));
    // Under sc some arrays alias others (rqCurrMem is rqCurr, the store buffers' mem is view): saving twice is harmless.
    this.arrays = arrays;
    this.copies = arrays.map((a, i) => (this.copies[i]?.length === a.length ? this.copies[i]! : new Uint8Array(a.length)));
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

  restore(): void {
    for (let i = 0; i < this.arrays.length; i++) this.arrays[i]!.set(this.copies[i]!);
    this.loadKeys(this.k, this.values);
    const sb = this.k.sb as unknown as Record<string, unknown>;
    for (let i = 0; i < this.sbKeys.length; i++) sb[this.sbKeys[i]!] = this.sbValues[i];
    this.k.slab.readStateScalars(this.slabScalars, 0);
    this.k.dirtyCpus = -1; // the enabled-actor cache must look again
  }
}
