/**
 * What shrinking and bug depth preserve: the artifact's FINDING, not merely "some violation".
 *
 * - A violation artifact (no `target`): the run must end in a violation of the same invariant
 *   and, for I14 freed-mm-use, at the same use site (the kernel function that used the freed
 *   or stale mm).
 * - A hazard or use-site artifact (`target` set, recorded with RunOptions.stopAt): the run
 *   must reach the same hazard id / use site, and end the same way (`stopped` right after the
 *   step where it fires; or, for a use site that is itself the violation, that violation).
 *   Candidate runs stop at the target too, so "fewer steps" means reaching it sooner.
 *
 * Every candidate run (a lenient replay, a guided schedule, a re-searched one) is a
 * Simulator.run with the target as stopAt (core's explorers drive the schedule), so it ends
 * `stopped` right after the step where the target fires (a violation in the same step wins).
 */
import { type Artifact, type FindingTarget, HAZARD_IDS, type RunResult, type RunSeed, type Simulator } from '@lazytlb/core';

export interface Finding {
  /** How the artifact's run ended (what a candidate must end in too). */
  readonly outcome: Artifact['outcome']['kind'];
  /** The violated invariant, when the run ended in a violation. */
  readonly invariant: string | undefined;
  /** I14 (and a violation recorded at a use site): the site; a candidate must end there too. */
  readonly site: string | undefined;
  /** The hazard or use site the artifact was recorded for (stopAt), if any. */
  readonly target: FindingTarget | undefined;
  /** "I3", "I14 at membarrier_switch_mm", "hazard I3", "use site __mmdrop". */
  readonly label: string;
}

export class FindingError extends Error {
  override name = 'FindingError';
}

/** The finding of an artifact; throws when there is none to preserve (an ok run, an error). */
export function findingOf(artifact: Artifact): Finding {
  const o = artifact.outcome;
  const t = artifact.target;
  if (t !== undefined) {
    if (o.kind !== 'stopped' && o.kind !== 'violation') {
      throw new FindingError(`the artifact was recorded for ${targetLabel(t)} but its run ended ${o.kind}, not there`);
    }
    return {
      outcome: o.kind,
      invariant: o.invariant,
      site: o.kind === 'violation' && o.invariant === 'I14' ? o.site : undefined,
      target: t,
      label: targetLabel(t),
    };
  }
  if (o.kind !== 'violation' || o.invariant === undefined) {
    throw new FindingError(`the artifact's run ended ${o.kind}, not in an invariant violation, a hazard or a use site`);
  }
  const site = o.invariant === 'I14' ? o.site : undefined;
  return { outcome: 'violation', invariant: o.invariant, site, target: undefined, label: site !== undefined ? `${o.invariant} at ${site}` : o.invariant };
}

export function targetLabel(t: FindingTarget): string {
  return 'hazard' in t ? `hazard ${t.hazard}` : `use site ${t.site}`;
}

/** Simulator.run with the finding's stopAt (if any), keeping the decisions. */
export function runFor(sim: Simulator, seed: RunSeed, finding: Finding): RunResult {
  return sim.run(seed, { keepDecisions: true, ...(finding.target !== undefined ? { stopAt: finding.target } : {}) });
}

/** The run shows the same finding as the artifact. */
export function matches(f: Finding, r: RunResult): boolean {
  if (r.outcome !== f.outcome) return false;
  if (f.outcome === 'violation') {
    if (r.violation?.invariant !== f.invariant) return false;
    if (f.site !== undefined && r.violation?.site !== f.site) return false;
  }
  const t = f.target;
  if (t === undefined) return true;
  if ('hazard' in t) return (r.hazards & (1 << (HAZARD_IDS as readonly string[]).indexOf(t.hazard))) !== 0;
  const i = r.siteIds.indexOf(t.site);
  return i >= 0 && (r.useSites & (1 << i)) !== 0;
}
