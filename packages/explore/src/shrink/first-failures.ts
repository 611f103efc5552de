/**
 * Shrinking a sweep's first failures (after the sweep, in the calling thread): each violation,
 * hazard and use-site finding of every cell (not errors) through shrinkArtifact, with its
 * cell's plugins from the registry. `signal`: stop between failures (what was shrunk is returned);
 * `skip`: artifact paths not to shrink (first failures that did not replay alike).
 */
import type { ArchPlugin, SchemePlugin } from '@lazytlb/core';
import type { PluginRegistry } from '../registry/registry.js';
import { type BuildOptions, failurePath, type ShrunkFailure } from '../results/build.js';
import type { SweepResult } from '../sweep/types.js';
import { memoryMismatch } from './cell.js';
import { shrinkArtifact } from './shrink.js';
import { withDeterminismTrap } from '../determinism/trap.js';

/** A shrunk first failure: its steps, the new artifact, sizes before/after and bug depth. */
export interface ShrunkEntry extends ShrunkFailure {
  readonly steps: number;
  readonly artifact: unknown;
}

/**
 * Shrink the first failures (violations, hazards and use sites; not errors); returns shrunk
 * artifacts by their results.json artifact path. A failure that cannot be shrunk keeps its
 * original artifact (logged).
 */
export async function shrinkFirstFailures(
  r: SweepResult,
  registry: PluginRegistry,
  log: (s: string) => void = () => {},
  signal?: AbortSignal,
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, ShrunkEntry>> {
  const shrunk = new Map<string, ShrunkEntry>();
  const plugins = new Map<string, ArchPlugin<unknown>>();
  const schemes = new Map<string, SchemePlugin<unknown> | undefined>();
  let n = 0;
  for (const [i, a] of r.aggregates.entries()) {
    for (const f of Object.values(a.firstFailures)) {
      // Let signal handlers run between failures (one shrink is synchronous), then stop if asked: keep what was shrunk.
      if (signal !== undefined) await new Promise<void>((r) => setImmediate(r));
      if (signal?.aborted === true) break;
      if (f.class === 'error') continue; // shrink findings, not errors
      if (skip.has(failurePath(i, f))) continue; // did not replay alike (results/verify.ts): kept as found
      const lost = memoryMismatch(r.cells[i]!.config, f.artifact);
      if (lost !== null) {
        log(`lazytlb: cannot shrink ${failurePath(i, f)}: ${lost}\n`);
        continue;
      }
      const name = f.artifact.cell.arch.name;
      let plugin = plugins.get(name);
      if (plugin === undefined) {
        plugin = await registry.arch(name);
        plugins.set(name, plugin);
      }
      let s;
      try {
        // A scheme plugin's cell (schemeVersion) shrinks with that plugin, resolved as the sweep resolved it.
        const sk = `${f.artifact.cell.scheme}@${f.artifact.cell.schemeVersion ?? ''}`;
        let scheme = schemes.get(sk);
        if (!schemes.has(sk)) schemes.set(sk, (scheme = await registry.schemeForArtifact(f.artifact)));
        s = withDeterminismTrap(() => shrinkArtifact(f.artifact, { arch: plugin!, ...(scheme !== undefined ? { scheme } : {}) }, { maxAttempts: 2000 }));
      } catch (e) {
        log(`lazytlb: cannot shrink ${failurePath(i, f)}: ${(e as Error).message}\n`);
        continue;
      }
      const d = s.bugDepth;
      shrunk.set(failurePath(i, f), {
        steps: s.afterSteps,
        artifact: s.artifact,
        shrunk: { before: { ...s.before, options: [...s.before.options] }, after: { ...s.after, options: [...s.after.options] } },
        bugDepth: d === null ? null : { depth: d.depth, preemptions: d.preemptions, pct: d.pctDepth },
      });
      n++;
    }
  }
  if (n > 0) log(`lazytlb: shrank ${n} first failure(s)\n`);
  return shrunk;
}

/** results.json build options for shrunk first failures (steps, sizes, bug depths). */
export function shrunkBuildOptions(shrunk: ReadonlyMap<string, ShrunkEntry>): BuildOptions {
  return { shrunkSteps: new Map([...shrunk].map(([path, s]) => [path, s.steps] as const)), shrunk };
}
