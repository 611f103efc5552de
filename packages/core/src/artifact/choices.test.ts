/**
 * Artifacts of runs whose explorer made the in-step choices (Explorer.chooseInStep: an
 * exhaustive search) record them (`choices`) and replay with them.
 */
import { describe, expect, it } from 'vitest';
import type { Explorer } from '../explorer/explorer.js';
import type { Sfc32 } from '../prng/sfc32.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import { makeArtifact, parseArtifact, replayArtifact } from './artifact.js';

/** Random picks from the run's explorer stream; every in-step choice the last outcome. */
class LastChoice implements Explorer {
  private rng!: Sfc32;
  begin(rng: Sfc32): void {
    this.rng = rng;
  }
  pick(enabled: Uint8Array, n: number): number {
    return enabled[this.rng.int(n)]!;
  }
  chooseInStep(n: number): number {
    return n - 1;
  }
}

describe('artifacts with in-step choices', () => {
  it('record the choices and replay with them; a random run records none', () => {
    // kernel_execve preempted on PREEMPT_RT: preemptInPath chooses the CPU the task is queued on.
    const sim = new Simulator({
      plugin: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      preempt: 'rt',
      workload: {
        explicit: {
          tasks: [
            { name: 'U', kind: 'user', cpu: 0, mm: 'L', program: ['run', 'sleep 1', 'run', 'exit'] },
            { name: 'K', kind: 'kthread', cpu: 0, program: ['kwork', 'kernel_execve', 'run', 'exit'] },
            { name: 'X', kind: 'user', cpu: 0, mm: 'X', program: ['run', 'yield', 'run', 'exit'] },
          ],
          tickPreemptions: 1,
        },
      },
    });
    let found = 0;
    for (let i = 0; i < 400 && found < 3; i++) {
      const seed = runSeed(hashString128('choices'), i);
      const r = sim.run(seed, { explorer: new LastChoice(), keepDecisions: true });
      expect(r.choices).not.toBeNull();
      if (r.choices!.length === 0) continue;
      found++;
      const a = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim, seed, r, i))));
      expect(Buffer.from(a.choices!, 'base64')).toEqual(Buffer.from(r.choices!));
      const replay = replayArtifact(a, referenceArch);
      expect(replay.reproduced).toBe(true);
      expect(Array.from(replay.result.choices ?? [])).toEqual(Array.from(r.choices!));
    }
    expect(found).toBe(3);
    const plain = sim.run(runSeed(hashString128('choices'), 0), { keepDecisions: true });
    expect(plain.choices).toBeNull();
    expect(makeArtifact(sim, runSeed(hashString128('choices'), 0), plain, 0).choices).toBeUndefined();
  });
});
