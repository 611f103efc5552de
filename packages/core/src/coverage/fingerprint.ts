/**
 * Abstract-state fingerprints: a 32-bit hash of the part of the Kernel's state that lazy TLB
 * mm handling is about, for measuring how many distinct such states a sweep reaches
 * (coverage) with a HyperLogLog sketch (./hll.ts). No allocation per call (module-level
 * scratch arrays, the per-mm one grown with the kernel's mm capacity; int32 arithmetic only);
 * O(ncpu) typed-array reads.
 *
 * **Kept**, per CPU (a 20-bit tuple):
 * - online;
 * - the kind of `rq->curr` (idle / kernel thread / user) and whether it is lazy (`mm == NULL`);
 * - its `active_mm`, as that mm's abstract signature (below): NULL, `init_mm`, or a real mm;
 * - whether the CPU is in `mm_cpumask(active_mm)`;
 * - `rq->prev_mm` set;
 * - the kernel path in progress: the top frame's path id (`P_*`), 0 for none;
 * - IPIs pending (any).
 *
 * and for every mm some CPU references as `active_mm`, its signature:
 * - lifecycle stage: live / exiting / tables_freed / pgd_freed / ctx_destroyed / freed (NULL
 *   and `init_mm` are classes of their own);
 * - `mm_users == 0`;
 * - its lazy holders H (CPUs lazy on it + `rq->prev_mm`s + `H_local`s naming it): 0, 1, 2, ≥3
 *   — how many CPUs share it, the one trace of the CPU↔mm sharing structure that is kept;
 * - `mm_count − H`: < 0 (fewer counted references than lazy holders: it can be freed under
 *   them, the `none` / shoot-lazies danger), 0 (only lazy holders keep it: the REFCOUNT=y
 *   lazily pinned state), 1 (one more: the users reference or one mmgrab), ≥2.
 *
 * **Symmetric across CPUs**: the fingerprint is a mix of the 32-bit sum of mix(tuple) over the
 * CPUs — a multiset hash, so every renaming of the CPUs (with mm_cpumask bits renamed alike)
 * gives the same fingerprint, while two CPUs in the same state still count twice. mm ids and
 * slab addresses never enter it, so renaming mms does not change it either.
 *
 * **Abstracted away**, and why: task identities, runqueues, programs and their progress
 * (where the workload is, not what state lazy TLB handling is in); mms no CPU references as
 * `active_mm` (an exiting mm nobody is lazy on cannot dangle a lazy pointer); exact counts
 * (coarse buckets keep the state space finite and the relations that matter explicit);
 * which mm a `rq->prev_mm` or `H_local` names (they count as holders; the path in progress,
 * e.g. P_FINISH_SWITCH, says the CPU holds one); the frame's pc and registers, the IPI
 * queue's contents and the acknowledgements a CPU waits for (the path id and "IPIs pending"
 * say which phase a CPU is in; the rest multiplies states without new lazy-TLB situations);
 * IRQs off (implied by the path); the arch's private per-CPU and per-mm state (ASIDs,
 * tlb_gen, loaded_mm: plugin-specific, not visible through the ABI); TLB contents and unmap
 * generations (I2's domain, not the lazy mm's lifecycle).
 *
 * Measured state spaces (x86-native, refcount, PCT(3); exact counts over 50 000 runs, and the
 * sweep's HyperLogLog estimate): 2 CPUs ~2 900 states after 50 000 runs, growing slowly (+13%
 * from 20 000 to 50 000; ~3 700 after 200 000); 4 CPUs ~110 000 after 50 000 and ~164 000
 * after 100 000, still growing (the per-CPU tuples saturate at ~680 values, their 4-element
 * multisets do not).
 *
 * The simulator adds the fingerprint after each step that changed mm state (see
 * Simulator.setCoverageSink), so a state reached by a step that changed nothing mm-related
 * (queueing a wakeup, say) is counted with the next mm-changing step's changes on top.
 */
import { FRAME_DEPTH, type Kernel } from '../model/kernel.js';
import { INIT_MM, MAX_CPUS, NO_MM } from '../machine/constants.js';

/** murmur3's 32-bit finaliser (as a signed int32: stays a small integer in V8): a bijection with full avalanche. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** murmur3's 32-bit finaliser, unsigned: a bijection on 32-bit values with full avalanche. */
export function fmix32(h: number): number {
  return mix(h) >>> 0;
}

/** Per-CPU scratch: the mm each CPU holds lazily (H_curr), or NO_MM. */
const lazyOf = new Int32Array(MAX_CPUS);
/** Per-mm scratch: lazy holders (all zero between calls; grows with the kernel's mm capacity). */
let holdersOf = new Int32Array(64);

/**
 * The fingerprint as a signed int32 (what the simulator's hot path adds to its sketch: no
 * heap number); `fingerprint` is the same bits, unsigned.
 */
export function fingerprintInt32(k: Kernel): number {
  const n = k.ncpu;
  if (holdersOf.length < k.mmCapacity) holdersOf = new Int32Array(k.mmCapacity);
  const h = holdersOf;
  const curr = k.cpuCurr,
    taskMm = k.taskMm,
    taskActive = k.taskActiveMm,
    taskKind = k.taskKind;
  const prevMm = k.cpuPrevMm,
    localMm = k.cpuLocalMm,
    stage = k.mmStage;
  // Lazy holders per mm: H_curr + rq->prev_mm + H_local (init_mm's are not counted).
  for (let c = 0; c < n; c++) {
    const t = curr[c]!;
    const l = t >= 0 && taskMm[t] === NO_MM ? taskActive[t]! : NO_MM;
    lazyOf[c] = l;
    if (l > INIT_MM) h[l]!++;
    const p = prevMm[c]!;
    if (p > INIT_MM) h[p]!++;
    const q = localMm[c]!;
    if (q > INIT_MM) h[q]!++;
  }
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const t = curr[c]!;
    let tuple: number;
    let active: number;
    if (t >= 0) {
      active = taskActive[t]!;
      tuple = ((taskKind[t]! & 3) << 1) | (taskMm[t] === NO_MM ? 8 : 0);
    } else {
      active = NO_MM;
      tuple = 3 << 1;
    }
    tuple |= k.cpuOnline[c]! & 1;
    if (prevMm[c] !== NO_MM) tuple |= 32;
    if (k.ipiLen[c]! > 0) tuple |= 64;
    const sp = k.cpuSp[c]!;
    if (sp > 0) tuple |= (k.frPath[c * FRAME_DEPTH + sp - 1]! & 31) << 7;
    // active_mm's signature (bits 12..19) and this CPU's bit in its mm_cpumask (bit 4)
    if (active === INIT_MM) {
      tuple |= (7 << 12) | (((k.mmCpumask[INIT_MM]! >>> c) & 1) << 4);
    } else if (active !== NO_MM) {
      const holders = h[active]!;
      const rel = k.mmCount[active]! - holders;
      tuple |=
        (((k.mmCpumask[active]! >>> c) & 1) << 4) |
        ((stage[active]! & 7) << 12) |
        ((k.mmUsers[active]! <= 0 ? 0 : 1) << 15) |
        (Math.min(holders, 3) << 16) |
        ((rel < 0 ? 0 : rel > 2 ? 3 : rel + 1) << 18);
    }
    sum = (sum + mix(tuple ^ 0x9e3779b9)) | 0;
  }
  for (let c = 0; c < n; c++) {
    h[lazyOf[c]! > INIT_MM ? lazyOf[c]! : 0] = 0;
    h[prevMm[c]! > INIT_MM ? prevMm[c]! : 0] = 0;
    h[localMm[c]! > INIT_MM ? localMm[c]! : 0] = 0;
  }
  return mix(sum ^ n);
}

/** The abstract-state fingerprint of `k`: an unsigned 32-bit hash, well mixed for HyperLogLog. */
export function fingerprint(k: Kernel): number {
  return fingerprintInt32(k) >>> 0;
}
