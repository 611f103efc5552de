/**
 * runSweep's checkpoints: each is an interrupted result holding exactly the batches completed
 * when it was taken, and resuming from any of them gives the uninterrupted sweep's aggregates.
 */
import { describe, expect, it } from 'vitest';
import { InProcessExecutor } from '../executor/in-process.js';
import { PluginRegistry } from '../registry/registry.js';
import { runSweep } from './sweep.js';
import { smallCells } from './test-support.js';
import type { SweepResult } from './types.js';

describe('runSweep checkpoint', () => {
  it('snapshots are resumable to the uninterrupted result, and onPrepared sees the matrix hash first', async () => {
    const registry = await PluginRegistry.create();
    const cells = smallCells();
    const executor = new InProcessExecutor(registry);
    const base = { cells, matrixSeed: 'checkpoint', runs: 120, registry, executor, batchSize: 20 } as const;
    const full = await runSweep(base);

    const snaps: SweepResult[] = [];
    let prepared: string | null = null;
    let batchesAtPrepare = -1;
    let batches = 0;
    const checkpointed = await runSweep({
      ...base,
      onBatch: () => void batches++,
      onPrepared: ({ matrixHash }) => {
        prepared = matrixHash;
        batchesAtPrepare = batches;
      },
      // everyMs 0: a checkpoint after every batch but the last
      checkpoint: { everyMs: 0, write: (r) => void snaps.push(r) },
    });
    expect(prepared).toMatch(/^[0-9a-f]{32}$/);
    expect(batchesAtPrepare).toBe(0);
    expect(checkpointed.aggregates).toEqual(full.aggregates);
    expect(checkpointed.interrupted).toBe(false);
    // 4 cells × 6 batches: a checkpoint after each completed batch while some are still to dispatch
    // (not for the last few, which complete once everything is dispatched: the final result follows)
    expect(snaps.length).toBeGreaterThan(15);
    expect(snaps.length).toBeLessThan(24);
    for (const [i, s] of snaps.entries()) {
      expect(s.interrupted).toBe(true);
      expect(s.aggregates.reduce((n, a) => n + a.runs, 0)).toBe(20 * (i + 1));
      const resumed = await runSweep({ ...base, resume: s });
      expect(resumed.interrupted).toBe(false);
      expect(resumed.aggregates, `resumed from checkpoint ${i}`).toEqual(full.aggregates);
    }
    await executor.close();
  }, 60_000);

  it('onPrepared throwing stops the sweep before any run', async () => {
    const registry = await PluginRegistry.create();
    const executor = new InProcessExecutor(registry);
    let batches = 0;
    await expect(
      runSweep({
        cells: smallCells(),
        matrixSeed: 'checkpoint',
        runs: 40,
        registry,
        executor,
        onBatch: () => void batches++,
        onPrepared: () => {
          throw new Error('refused');
        },
      }),
    ).rejects.toThrow('refused');
    expect(batches).toBe(0);
    await executor.close();
  });
});
