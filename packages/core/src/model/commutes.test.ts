import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';

const SEED = runSeed(hashString128('commutes'), 0);
const W: ExplicitWorkloadInput = {
  tasks: [
    { name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'sleep 1', 'run', 'exit'] },
    { name: 'B', kind: 'user', cpu: 1, mm: 'm', program: ['run', 'munmap freed-tables', 'exit'] },
    { name: 'K', kind: 'kthread', cpu: 1, program: ['kwork', 'exit'] },
  ],
};
const make = () => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { explicit: W } });

/** The fingerprint after taking `steps` from the start, step by step (no experiments). */
function fpAfter(steps: number[]): string | null {
  const s = make();
  const h = s.stateHasher();
  s.begin(SEED);
  h.refresh();
  for (const a of steps) if (!s.enabledActors().includes(a) || !s.stepActor(a)) return null;
  const out = new Uint32Array(2);
  h.hash(out);
  return `${out[0]}:${out[1]}`;
}

describe('Simulator.commutes (partial-order reduction by experiment)', () => {
  it('answers like two re-executions from scratch, in every state of a run, and leaves no trace on the run', () => {
    const s = make();
    const h = s.stateHasher();
    const plain = make().run(SEED, { keepDecisions: true });
    s.begin(SEED);
    h.refresh();
    const path: number[] = [];
    let yes = 0;
    let no = 0;
    for (const a of plain.decisions!) {
      const en = s.enabledActors();
      for (const x of en) {
        for (const y of en) {
          if (x >= y) continue;
          const c = s.commutes(x, y, h);
          const xy = fpAfter([...path, x, y]);
          const yx = fpAfter([...path, y, x]);
          if (c) expect(xy, `${path} ${x}/${y}`).toBe(yx);
          if (c) yes++;
          else no++;
          // the state is as it was: the enabled actors and the fingerprint
          expect(s.enabledActors()).toEqual(en);
        }
      }
      expect(s.stepActor(a) || s.k.violation !== null).toBe(true);
      path.push(a);
    }
    const after = s.end(undefined, { keepDecisions: true });
    // experiments at every step changed nothing the run reports
    expect({ ...after, trace: null }).toEqual({ ...plain, trace: null });
    expect(s.costsObject()).toEqual(
      (() => {
        const p = make();
        p.run(SEED);
        return p.costsObject();
      })(),
    );
    expect(yes).toBeGreaterThan(0);
    expect(no).toBeGreaterThan(0);
  });
});
