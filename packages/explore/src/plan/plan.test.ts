import { describe, expect, it } from 'vitest';
import { parseShard, Plan, planBatches, remaining, remainingBatches, selectShard, shardFromEnv } from './plan.js';
import { smallCells } from '../sweep/test-support.js';

describe('plan', () => {
  const cells = smallCells();
  it('covers every run of every cell once', () => {
    const b = planBatches(cells, { runs: 1000, batchSize: 300 });
    expect(b.filter((x) => x.cell === 0).map((x) => [x.runStart, x.runEnd])).toEqual([
      [0, 300],
      [300, 600],
      [600, 900],
      [900, 1000],
    ]);
    expect(b.length).toBe(16);
  });
  it('shards partition the plan', () => {
    const b = planBatches(cells, { runs: 1000, batchSize: 70 });
    for (const n of [1, 2, 3, 7]) {
      const parts = Array.from({ length: n }, (_, i) => selectShard(b, { index: i + 1, count: n }));
      expect(parts.flat().length).toBe(b.length);
      expect(new Set(parts.flat()).size).toBe(b.length);
    }
  });
  it('resume leaves only uncovered pieces', () => {
    const b = planBatches(cells.slice(0, 1), { runs: 100, batchSize: 40 });
    const r = remainingBatches(b, new Map([[0, ['0-50', '80-90']]]));
    expect(r.map((x) => [x.runStart, x.runEnd])).toEqual([
      [50, 80],
      [90, 100],
    ]);
  });
  it('parses shards and array-job variables', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('0/3')).toThrow(/I\/N/);
    expect(() => parseShard('4/3')).toThrow();
    expect(shardFromEnv(4, { SLURM_ARRAY_TASK_ID: '3' })).toEqual({ index: 4, count: 4 });
    expect(shardFromEnv(4, { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4 });
    expect(shardFromEnv(4, {})).toBeNull();
    expect(() => shardFromEnv(4, { AWS_BATCH_JOB_ARRAY_INDEX: '4' })).toThrow(/out of range/);
  });
  it('bad array-job indices are usage errors (one line, exit 2 in the CLI)', () => {
    expect(() => shardFromEnv(2, { SLURM_ARRAY_TASK_ID: 'abc' })).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringMatching(/^SLURM_ARRAY_TASK_ID="abc": expected a non-negative integer/) }),
    );
    expect(() => parseShard('x')).toThrow(expect.objectContaining({ code: 'usage' }));
  });
});

describe('the lazy plan', () => {
  const cells = [...smallCells(), { index: 4, cpus: 8 }, { index: 5, cpus: 1 }];
  it("gives exactly planBatches + selectShard (+ remainingBatches), in the same order, and the shard's run total", () => {
    for (const runs of [0, 1, 70, 1000, 4097]) {
      for (const batchSize of [undefined, 1, 70, 300]) {
        for (const shard of [null, { index: 1, count: 1 }, { index: 2, count: 3 }, { index: 7, count: 7 }, { index: 1, count: 50 }]) {
          const opts = { runs, ...(batchSize !== undefined ? { batchSize } : {}) };
          const eager = selectShard(planBatches(cells, opts), shard);
          const plan = new Plan(cells, opts, shard);
          expect([...plan.batches()]).toEqual(eager);
          expect(plan.shardRuns()).toBe(eager.reduce((n, b) => n + b.runEnd - b.runStart, 0));
          const covered = new Map([
            [0, ['0-50', '80-90']],
            [4, ['10-20']],
          ]);
          expect([...remaining(plan.batches(), covered)]).toEqual(remainingBatches(eager, covered));
          const sorted = remainingBatches(eager, covered).sort((a, b) => a.runStart - b.runStart || a.cell - b.cell);
          expect([...plan.interleaved(covered)].sort((a, b) => a.runStart - b.runStart || a.cell - b.cell)).toEqual(sorted);
        }
      }
    }
  });

  it('plans 2^53 runs per cell without allocating them: the first batches at once, the total by arithmetic', () => {
    const plan = new Plan(cells, { runs: Number.MAX_SAFE_INTEGER }, { index: 2, count: 4 });
    const it = plan.batches();
    expect(it.next().value).toEqual({ cell: 0, runStart: 512, runEnd: 1024 });
    expect(plan.shardRuns()).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(() => new Plan(cells, { runs: 2 ** 60 })).toThrow(expect.objectContaining({ code: 'usage' }));
  });
});
