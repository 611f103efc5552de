/**
 * A sweep's model identity: the behaviour fingerprint of core and of every plugin its cells
 * run (core's behaviour/fingerprint.ts), recorded in results and compared before a resume or a
 * merge, so that runs of models that behave differently are never added up.
 */
import { archFingerprint, builtinScheme, coreFingerprint, schemeFingerprint, type Simulator } from '@lazytlb/core';

export interface SweepFingerprints {
  readonly core: string;
  /** "arch NAME" and "scheme NAME" (scheme plugins only) → fingerprint, sorted by key (versions are in the cell ids). */
  readonly plugins: Readonly<Record<string, string>>;
}

/** The fingerprints of the plugins the simulators run (one entry per plugin), and core's. */
export function sweepFingerprints(sims: Iterable<Pick<Simulator, 'plugin' | 'schemePlugin'>>): SweepFingerprints {
  const plugins = new Map<string, string>();
  for (const s of sims) {
    const arch = `arch ${s.plugin.name}`;
    if (!plugins.has(arch)) plugins.set(arch, archFingerprint(s.plugin));
    if (builtinScheme(s.schemePlugin.name) !== s.schemePlugin) {
      const scheme = `scheme ${s.schemePlugin.name}`;
      if (!plugins.has(scheme)) plugins.set(scheme, schemeFingerprint(s.schemePlugin));
    }
  }
  return { core: coreFingerprint(), plugins: Object.fromEntries([...plugins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

/** How `b` differs from `a` (empty when the same), e.g. "arch x86-native 4f.. vs 9a..". */
export function fingerprintsDifference(a: SweepFingerprints, b: SweepFingerprints): string[] {
  const out: string[] = [];
  if (a.core !== b.core) out.push(`core ${a.core} vs ${b.core}`);
  for (const k of [...new Set([...Object.keys(a.plugins), ...Object.keys(b.plugins)])].sort()) {
    const x = a.plugins[k],
      y = b.plugins[k];
    if (x !== y) out.push(`${k} ${x ?? '(absent)'} vs ${y ?? '(absent)'}`);
  }
  return out;
}

/** One line for reports: "core 1a2b…, arch x86-native 3c4d…". */
export function formatFingerprints(f: SweepFingerprints): string {
  return [`core ${f.core}`, ...Object.entries(f.plugins).map(([k, v]) => `${k} ${v}`)].join(', ');
}
