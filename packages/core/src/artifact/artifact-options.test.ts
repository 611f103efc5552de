import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CORE_VERSION } from '../generated/version.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { defineSchemePlugin, type SchemePlugin } from '../scheme/abi.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { thrown } from '../test-support/thrown.js';
import { ARTIFACT_OPTION_CELLS } from '../test-support/artifact-cells.js';
import { ArtifactError, artifactSimulatorOptions, makeArtifact, replayArtifact } from './artifact.js';
import { Simulator, type SimulatorOptions } from '../run/simulator.js';

/** A scheme plugin with refcount's semantics (not built in, so its cells record schemeVersion). */
const testScheme: SchemePlugin<unknown> = defineSchemePlugin({
  abi: 1,
  kind: 'scheme',
  name: 'test-scheme',
  version: '1.2.3',
  coreVersions: `^${CORE_VERSION}`,
  description: 'test',
  provenance: 'proposal',
  source: 'a test',
  options: z.object({}).strict(),
  kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false },
  claims: { danglingPremise: false, barriers: [], arch: [] },
  setup: () => ({
    reset() {},
    mmgrab_lazy_tlb(k, cpu, mm) {
      k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');
    },
    mmdrop_lazy_tlb(k, cpu, mm) {
      k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');
    },
    lazy_refs(k, mm) {
      return k.lazyHolders(mm);
    },
  }),
} as SchemePlugin<unknown>);

const CELLS: Omit<SimulatorOptions, 'plugin'>[] = [
  ...ARTIFACT_OPTION_CELLS,
  { scheme: 'test-scheme', schemePlugin: testScheme, cpus: 2, workload: 'exit-heavy' },
];

function artifactOf(sim: Simulator) {
  const seed = runSeed(hashString128(sim.cellId), 3);
  const r = sim.run(seed, { keepDecisions: true });
  return { artifact: makeArtifact(sim, seed, r, 3), r };
}

describe('artifactSimulatorOptions', () => {
  it.each(CELLS.map((c, i) => [i, c] as const))(
    'cell %i: gives the options replayArtifact builds: the same cell, and the decisions run the same',
    (_i, cell) => {
      const sim = new Simulator({ plugin: referenceArch, ...cell });
      const { artifact, r } = artifactOf(sim);
      const scheme = cell.schemePlugin;
      const opts = artifactSimulatorOptions(artifact, referenceArch, scheme);
      const again = new Simulator(opts);
      expect(again.cellId).toBe(sim.cellId);
      const replay = replayArtifact(artifact, referenceArch, scheme !== undefined ? { scheme } : {});
      expect(replay.reproduced).toBe(true);
      expect(replay.simulator.cellId).toBe(again.cellId);
      const rr = again.run(runSeed(hashString128(again.cellId), 3), { decisions: r.decisions!, keepDecisions: true });
      expect([rr.outcome, rr.steps, rr.violation]).toEqual([r.outcome, r.steps, r.violation]);
      // A scheme plugin is passed on only for a cell of one (a built-in scheme's cell ignores it, as replay does).
      expect('schemePlugin' in opts).toBe(scheme !== undefined);
      expect(artifactSimulatorOptions(artifact, referenceArch, testScheme).schemePlugin).toBe(scheme !== undefined ? testScheme : undefined);
      // Spreading it varies the cell and keeps the rest.
      const fewer = new Simulator({ ...opts, stepBudget: 77 });
      expect({ ...fewer.cell, stepBudget: sim.cell.stepBudget }).toEqual(sim.cell);
    },
  );

  it("refuses another arch plugin, and a missing or other scheme plugin, with replayArtifact's messages", () => {
    const plain = artifactOf(new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 2 })).artifact;
    const other = referenceVariant('other-arch', () => ({}));
    const e = thrown(() => artifactSimulatorOptions(plain, other));
    expect(e).toBeInstanceOf(ArtifactError);
    expect(e.message).toBe(thrown(() => replayArtifact(plain, other)).message);
    const withScheme = artifactOf(new Simulator({ plugin: referenceArch, scheme: 'test-scheme', schemePlugin: testScheme, cpus: 2 })).artifact;
    const missing = thrown(() => artifactSimulatorOptions(withScheme, referenceArch));
    expect(missing.message).toBe('artifact was recorded with scheme plugin test-scheme@1.2.3: load that scheme plugin to replay it');
    expect(missing.message).toBe(thrown(() => replayArtifact(withScheme, referenceArch)).message);
    const wrong = { ...testScheme, name: 'wrong-scheme' } as SchemePlugin<unknown>;
    expect(thrown(() => artifactSimulatorOptions(withScheme, referenceArch, wrong)).message).toBe(
      thrown(() => replayArtifact(withScheme, referenceArch, { scheme: wrong })).message,
    );
  });

  it('does not check behaviour fingerprints (replayArtifact does)', () => {
    const { artifact } = artifactOf(new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 2 }));
    const changed = { ...artifact, fingerprints: { core: '0123456789abcdef', arch: '0123456789abcdef' } };
    expect(() => replayArtifact(changed, referenceArch)).toThrow(ArtifactError);
    expect(new Simulator(artifactSimulatorOptions(changed, referenceArch)).cellId).toBe(
      new Simulator(artifactSimulatorOptions(artifact, referenceArch)).cellId,
    );
  });
});
