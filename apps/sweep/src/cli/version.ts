/**
 * `lazytlb --version`: the tool's and core's versions and the model's behaviour fingerprints
 * (core's, and each bundled plugin's: what artifacts and results record to know whether a
 * replay or a merge is exact). The fingerprints run a small corpus (about half a second for the
 * whole bundle), so they are computed only when asked for.
 */
import { createHash } from 'node:crypto';
import { archFingerprint, builtinScheme, CORE_VERSION, coreFingerprint, schemeFingerprint } from '@lazytlb/core';
import { BUNDLED, BUNDLED_SCHEMES } from '../plugins/bundled.js';
import { TOOL_VERSION } from '../results/version.js';

export function versionText(): string {
  const parts: [string, string][] = [['core', coreFingerprint()]];
  for (const { plugin } of BUNDLED) parts.push([`arch ${plugin.name}@${plugin.version}`, archFingerprint(plugin)]);
  // Core's built-in schemes (refcount, shootdown, none) are part of core's fingerprint.
  for (const { plugin } of BUNDLED_SCHEMES)
    if (builtinScheme(plugin.name) !== plugin) parts.push([`scheme ${plugin.name}@${plugin.version}`, schemeFingerprint(plugin)]);
  // One fingerprint for the bundle: equal when core and every bundled plugin behave the same.
  const model = createHash('sha256')
    .update(parts.map(([k, v]) => `${k} ${v}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const width = Math.max(...parts.map(([k]) => k.length));
  return [
    `lazytlb ${TOOL_VERSION} (core ${CORE_VERSION})`,
    `model fingerprint ${model} (behaviour: a fixed corpus of runs, traced and hashed; artifacts record core's and their plugins')`,
    ...parts.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
  ].join('\n');
}
