import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator, hashString128, makeArtifact, parseArtifact, referenceArch, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../replay/replay.js';
import { defaultShrunkPath, formatShrinkResult, shrinkFile } from './shrink-file.js';

describe('shrinkFile', () => {
  it('writes a new, shorter artifact that replays, with tasks named as in the trace', async () => {
    const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: 'default' });
    const cell = hashString128(sim.cellId);
    let i = 0;
    let r = sim.run(runSeed(cell, i));
    while (r.outcome !== 'violation') r = sim.run(runSeed(cell, ++i));
    const dir = mkdtempSync(join(tmpdir(), 'lazytlb-shrink-'));
    const path = join(dir, 'fail.json');
    writeFileSync(path, JSON.stringify(makeArtifact(sim, runSeed(cell, i), r, i)));
    const res = await shrinkFile(path);
    expect(res.out).toBe(defaultShrunkPath(path));
    expect(res.out.endsWith('fail.shrunk.json')).toBe(true);
    expect(res.afterSteps).toBeLessThan(res.beforeSteps);
    const shrunk = parseArtifact(JSON.parse(readFileSync(res.out, 'utf8')));
    expect(shrunk.outcome.steps).toBe(res.afterSteps);
    const text = await replayFile(res.out);
    expect(text).toContain('replay:    reproduced exactly');
    const w = shrunk.cell.workload;
    if (!('explicit' in w)) throw new Error('expected an explicit workload');
    for (const t of w.explicit.tasks) expect(text).toContain(t.name);
    // what `lazytlb shrink` prints: before -> after for every dimension, and the bug depth as an upper bound
    const printed = formatShrinkResult(path, res);
    expect(printed).toContain(
      `shrunk ${res.before.steps} -> ${res.after.steps} steps, 2 -> ${res.after.cpus} CPUs, ${res.before.tasks} -> ${res.after.tasks} tasks`,
    );
    expect(printed).toContain('options default options -> default options');
    expect(printed).toContain(`${res.before.preemptions} -> ${res.after.preemptions} preemptions`);
    expect(printed).toContain(
      `bug depth <= ${res.bugDepth!.depth} (an upper bound: the smallest the search found): a reproducing schedule with ${res.bugDepth!.preemptions} preemption(s)`,
    );
    await expect(shrinkFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read artifact/);
  });
});
