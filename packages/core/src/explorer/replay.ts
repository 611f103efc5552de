/** Exact replay of a recorded decision list (artifacts, RunOptions.decisions). */
import type { Explorer } from './explorer.js';

/** Raised when a decision list does not fit the run it is replayed against. */
export class ReplayDivergence extends Error {
  override name = 'ReplayDivergence';
}

export interface ReplayExplorerOptions {
  /**
   * When the list runs out while the run goes on: `diverge` (default) throws
   * ReplayDivergence; `stop` ends the run where it stands (Explorer.stepLimit: outcome `ok`),
   * as a step-by-step replay that stops with its list does.
   */
  readonly onEnd?: 'diverge' | 'stop';
}

/** Replays a recorded decision list exactly; refuses a decision naming a disabled actor. */
export class ReplayExplorer implements Explorer {
  readonly stepLimit?: number;
  constructor(
    private readonly decisions: ArrayLike<number>,
    opts: ReplayExplorerOptions = {},
  ) {
    if (opts.onEnd === 'stop') this.stepLimit = decisions.length;
  }
  begin(): void {}
  pick(enabled: Uint8Array, n: number, step: number): number {
    if (step >= this.decisions.length) throw new ReplayDivergence(`decision list ends at step ${this.decisions.length} but the run goes on`);
    const a = this.decisions[step]!;
    for (let i = 0; i < n; i++) if (enabled[i] === a) return a;
    throw new ReplayDivergence(`step ${step}: recorded actor ${a} is not enabled (enabled: ${Array.from(enabled.subarray(0, n)).join(',')})`);
  }
}
