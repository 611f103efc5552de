import { describe, expect, it } from 'vitest';
import { parseShard, planBatches, remainingBatches, selectShard, shardFromEnv } from './plan.js';
import { smallCells } from '../sweep/test-support.js';

describe('plan', () => {
  const cells = smallCells();
  it('covers every run of every cell once', () => {
    const b = planBatches(cells, { runs: 1000, batchSize: 300 });
    expect(b.filter((x) => x.cell === 0).map((x) => [x.runStart, x.runEnd])).toEqual([[0, 300], [300, 600], [600, 900], [900, 1000]]);
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
    expect(r.map((x) => [x.runStart, x.runEnd])).toEqual([[50, 80], [90, 100]]);
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
});
