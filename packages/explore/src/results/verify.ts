/**
 * Before anything is shrunk, every first failure of a sweep is replayed twice (tracing on, the
 * clocks and random sources trapped). A plugin with hidden module state, or one that reads a
 * source the trap does not cover, shows here: a replay that does not end as recorded, or two
 * replays whose traces differ. Such a failure is filed as the cell's `nondeterminism` error
 * (naming the plugin and where the replays part), kept unshrunk, and the sweep's results are
 * still written: shrinking it would only chase a moving target.
 */
import { type ArchPlugin, type RunResult, replayArtifact, ReplayDivergence, type SchemePlugin, type TraceEvent } from '@lazytlb/core';
import type { PluginRegistry } from '../registry/registry.js';
import { failurePath } from './build.js';
import type { EngineCellAggregate, FirstFailure, SweepResult } from '../sweep/types.js';
import { withDeterminismTrap } from '../determinism/trap.js';

export interface VerifiedSweep {
  /** The sweep, with a `nondeterminism` error added to each cell where a replay disagreed. */
  readonly result: SweepResult;
  /** Artifact paths (results.json `artifact`) of the first failures that did not replay alike: do not shrink them. */
  readonly unstable: ReadonlySet<string>;
}

function firstDifference(a: readonly TraceEvent[], b: readonly TraceEvent[]): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x.step !== y.step || x.cpu !== y.cpu || x.fn !== y.fn || x.text !== y.text) {
      return `at step ${x.step} on CPU${x.cpu}: ${x.fn} (${x.text}) the first time, ${y.fn} on CPU${y.cpu} (${y.text}) the second`;
    }
  }
  return a.length === b.length ? 'in their outcome' : `after ${n} events (one replay has ${a.length}, the other ${b.length})`;
}

type Replay = { ok: true; result: RunResult; reproduced: boolean } | { ok: false; why: string };

function replayOnce(f: FirstFailure, plugins: { readonly arch: ArchPlugin<unknown>; readonly scheme?: SchemePlugin<unknown> }): Replay {
  try {
    const r = withDeterminismTrap(() =>
      replayArtifact(f.artifact, plugins.arch, { trace: true, ...(plugins.scheme !== undefined ? { scheme: plugins.scheme } : {}) }),
    );
    return { ok: true, result: r.result, reproduced: r.reproduced };
  } catch (e) {
    if (e instanceof ReplayDivergence) return { ok: false, why: `its decision list does not fit the replay (${e.message})` };
    return { ok: false, why: (e as Error).message };
  }
}

/** Replay every first failure (with an artifact) twice; file those that disagree (see the module comment). */
export async function verifyFirstFailures(r: SweepResult, registry: PluginRegistry): Promise<VerifiedSweep> {
  const unstable = new Set<string>();
  const aggregates: EngineCellAggregate[] = [];
  for (const [i, a] of r.aggregates.entries()) {
    let out = a;
    for (const f of Object.values(a.firstFailures)) {
      const c = f.artifact.cell;
      const arch = await registry.arch(c.arch.name);
      const scheme = await registry.schemeForArtifact(f.artifact);
      const plugins = { arch, ...(scheme !== undefined ? { scheme } : {}) };
      const first = replayOnce(f, plugins);
      const second = first.ok ? replayOnce(f, plugins) : first;
      let why: string | null = null;
      if (!first.ok) why = `replaying it fails: ${first.why}`;
      else if (!second.ok) why = `replaying it a second time fails: ${second.why}`;
      else if (!first.reproduced)
        why = `its replay does not end as the run did (${first.result.outcome} after ${first.result.steps} steps, recorded ${f.artifact.outcome.kind} after ${f.artifact.outcome.steps})`;
      else if (!second.reproduced) why = 'its second replay does not end as the run did (module state kept from one run to the next?)';
      else if (JSON.stringify(first.result.trace) !== JSON.stringify(second.result.trace)) {
        why = `two replays differ ${firstDifference(first.result.trace ?? [], second.result.trace ?? [])}`;
      }
      if (why === null) continue;
      const path = failurePath(i, f);
      unstable.add(path);
      if (out.firstErrors.nondeterminism === undefined) {
        const who = c.schemeVersion !== undefined ? `arch plugin ${c.arch.name} or scheme plugin ${c.scheme}` : `arch plugin ${c.arch.name}`;
        out = {
          ...out,
          firstErrors: {
            ...out.firstErrors,
            nondeterminism: {
              kind: 'nondeterminism',
              runIndex: f.runIndex,
              seed: f.seed,
              message: `${who} is nondeterministic: the first ${f.kind} of this cell (run ${f.runIndex}, ${path}) ${why}; it is kept unshrunk`,
            },
          },
        };
      }
    }
    aggregates.push(out);
  }
  return { result: { ...r, aggregates }, unstable };
}
