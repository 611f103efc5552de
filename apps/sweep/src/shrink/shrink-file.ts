/** `lazytlb shrink ARTIFACT [-o OUT]`: shrink an artifact file and write the result as a new artifact. */
import { writeFile } from 'node:fs/promises';
import { resolvePlugin } from '../plugins/resolve.js';
import { ReplayError, readArtifactFile } from '../replay/replay.js';
import { type ShrinkOptions, type ShrinkResult, shrinkArtifact } from './shrink.js';

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
  try {
    plugin = await resolvePlugin(artifact.cell.arch.name, opts.pluginPaths ?? []);
  } catch (e) {
    throw new ReplayError(`cannot shrink ${path}: ${(e as Error).message}`);
  }
  let r: ShrinkResult;
  try {
    r = shrinkArtifact(artifact, plugin, opts);
  } catch (e) {
    throw new ReplayError(`cannot shrink ${path}: ${(e as Error).message}`);
  }
  const out = opts.out ?? defaultShrunkPath(path);
  await writeFile(out, `${JSON.stringify(r.artifact, null, 2)}\n`);
  return { ...r, out };
}
