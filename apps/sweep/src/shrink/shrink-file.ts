/** `lazytlb shrink ARTIFACT [-o OUT]`: shrink an artifact file and write the result as a new artifact. */
import { writeFile } from 'node:fs/promises';
import { createRegistry } from '../plugins/bundled.js';
import { ReplayError, readArtifactFile } from '../replay/replay.js';
import { type ShrinkOptions, type ShrinkResult, type ShrinkSize, shrinkArtifact, withDeterminismTrap } from '@lazytlb/explore';

export interface ShrinkFileOptions extends ShrinkOptions {
  readonly pluginPaths?: readonly string[];
  /** Output path (default: ARTIFACT with ".json" replaced by ".shrunk.json"). */
  readonly out?: string;
}

export function defaultShrunkPath(path: string): string {
  return path.endsWith('.json') ? `${path.slice(0, -5)}.shrunk.json` : `${path}.shrunk.json`;
}

/** Shrink the artifact at `path` and write the new artifact; returns the result and where it went. */
export async function shrinkFile(path: string, opts: ShrinkFileOptions = {}): Promise<ShrinkResult & { readonly out: string }> {
  const artifact = await readArtifactFile(path);
  let plugin;
  let scheme;
  try {
    const registry = await createRegistry(opts.pluginPaths ?? []);
    plugin = await registry.arch(artifact.cell.arch.name);
    scheme = await registry.schemeForArtifact(artifact);
  } catch (e) {
    throw new ReplayError(`cannot shrink ${path}: ${(e as Error).message}`);
  }
  let r: ShrinkResult;
  try {
    r = withDeterminismTrap(() => shrinkArtifact(artifact, { arch: plugin, ...(scheme !== undefined ? { scheme } : {}) }, opts));
  } catch (e) {
    throw new ReplayError(`cannot shrink ${path}: ${(e as Error).message}`);
  }
  const out = opts.out ?? defaultShrunkPath(path);
  await writeFile(out, `${JSON.stringify(r.artifact, null, 2)}\n`);
  return { ...r, out };
}

function optionsText(o: readonly string[]): string {
  return o.length === 0 ? 'default options' : o.join(',');
}

/** What `lazytlb shrink` prints: before -> after for every dimension, and the bug depth. */
export function formatShrinkResult(artifact: string, r: ShrinkResult & { readonly out: string }): string {
  const b: ShrinkSize = r.before;
  const a: ShrinkSize = r.after;
  const lines = [
    `${artifact}: shrunk ${b.steps} -> ${a.steps} steps, ${b.cpus} -> ${a.cpus} CPUs, ${b.tasks} -> ${a.tasks} tasks, ${b.ops} -> ${a.ops} ops, ` +
      `${b.preemptions} -> ${a.preemptions} preemptions, options ${optionsText(b.options)} -> ${optionsText(a.options)} ` +
      `(${r.attempts} attempts${r.budgetExhausted ? ', budget exhausted' : ''}); wrote ${r.out}`,
  ];
  const d = r.bugDepth;
  if (d !== null) {
    lines.push(
      `bug depth <= ${d.depth} (an upper bound: the smallest the search found): a reproducing schedule with ${d.preemptions} preemption(s)` +
        `${d.pctDepth !== null ? `; PCT depth ${d.pctDepth} reproduces the shrunk workload` : ''} (${d.attempts} attempts)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
