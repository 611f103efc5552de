/**
 * @lazytlb/arch-x86-native: the x86 bare-metal arch plugin of lazytlb, and the x86 building
 * blocks (per-CPU cpu_tlbstate, switch_mm_irqs_off, flush_tlb_mm_range, flush_tlb_func, ...)
 * that @lazytlb/arch-x86-paravirt composes with its own flush_tlb_multi.
 */
import { x86Native } from './plugin.js';

export { X86_RELEASES, X86NativeOptions, checkRelease, cpumaskPolicy, releaseLogic, type X86Release, type X86ReleaseLogic } from './options.js';
export { X86_INVARIANTS, X86_PLUGIN_VERSION, x86Capabilities, x86Native } from './plugin.js';
export {
  MUT_X86_LAZY_SKIP_FREED_TABLES,
  MUT_X86_SWITCH_NO_SMP_MB,
  MUT_X86_SWITCHING_WINDOW,
  X86_NATIVE_MUTATIONS,
  x86MutationFlags,
  type X86MutationFlags,
} from './mutations.js';
export {
  GLOBAL_ASID,
  INIT_MM_CTX_ID,
  LOADED_MM_SWITCHING,
  X86_SHARED_STATE,
  POKING_MM,
  POKING_MM_CTX_ID,
  TLB_GENERATION_INVALID,
  TLB_NR_DYN_ASIDS,
  X86_CONT_CONSIDER_GLOBAL_ASID,
  X86_IPI_FLUSH_TLB_FUNC,
  X86_IPI_NEXT,
  X86Tlb,
  createX86Hooks,
  decodeFlushInfo,
  encodeFlushInfo,
  type FlushTlbInfo,
  type X86PvOps,
} from './tlb.js';
export {
  SITE_CLEAR_PREV,
  SITE_FIX_PROCESSOR_CONTEXT,
  SITE_FLUSH_CLEAR,
  SITE_INITIALIZE_TLBSTATE,
  SITE_SWITCH_LDT,
  X86_USE_SITES,
} from './sites.js';

export default x86Native;
export { sweepCell, type SweepCell, type SweepResult } from './sweep.js';
