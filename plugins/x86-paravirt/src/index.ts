/**
 * @lazytlb/arch-x86-paravirt: x86 guests (KVM, Hyper-V, Xen PV) as a lazytlb arch plugin,
 * composed over @lazytlb/arch-x86-native.
 */
import { x86Paravirt } from './plugin.js';

export { X86ParavirtOptions } from './options.js';
export { SITE_HYPERV_FLUSH, XEN_IPI_DROP_MM_REF, X86_PARAVIRT_USE_SITES, createParavirtHooks, x86Paravirt } from './plugin.js';
export { MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES, X86_PARAVIRT_MUTATIONS, paravirtMutationFlags } from './mutations.js';
export default x86Paravirt;
