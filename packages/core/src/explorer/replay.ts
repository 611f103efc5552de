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
  /** The run's choice list (RunResult.choices of an exhaustive search's run): replayed choice by choice. */
  readonly choices?: ArrayLike<number>;
}

/** Replays a recorded decision list exactly; refuses a decision naming a disabled actor. */
export class ReplayExplorer implements Explorer {
  readonly stepLimit?: number;
  readonly chooseInStep?: (n: number, step: number) => number;
  private nextChoice = 0;
  constructor(
    private readonly decisions: ArrayLike<number>,
    opts: ReplayExplorerOptions = {},
  ) {
    if (opts.onEnd === 'stop') this.stepLimit = decisions.length;
    const choices = opts.choices;
    if (choices !== undefined) {
      this.chooseInStep = (n: number, step: number): number => {
        const i = this.nextChoice++;
        if (i >= choices.length) throw new ReplayDivergence(`step ${step}: the run makes choice ${i + 1}, but the choice list has ${choices.length}`);
        const c = choices[i]!;
        if (!(c >= 0 && c < n)) throw new ReplayDivergence(`step ${step}: recorded choice ${c} is not one of 0..${n - 1}`);
        return c;
      };
    }
  }
  begin(): void {
    this.nextChoice = 0;
  }
  pick(enabled: Uint8Array, n: number, step: number): number {
    if (step >= this.decisions.length) throw new ReplayDivergence(`decision list ends at step ${this.decisions.length} but the run goes on`);
    const a = this.decisions[step]!;
    for (let i = 0; i < n; i++) if (enabled[i] === a) return a;
    throw new ReplayDivergence(`step ${step}: recorded actor ${a} is not enabled (enabled: ${Array.from(enabled.subarray(0, n)).join(',')})`);
  }
}
