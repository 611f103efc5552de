/**
 * The error every scenario failure throws: what went wrong, then the machine state, then the
 * interleaving so far drawn as an LKML mail draws it (one column per CPU, core's
 * formatTraceColumns), so a failing test reads like a bug report.
 */
export class ScenarioError extends Error {
  override name = 'ScenarioError';

  constructor(
    /** The one-line reason. */
    readonly headline: string,
    /** describeState(): CPUs and mms when it failed. */
    readonly state: string,
    /** The trace so far, in columns. */
    readonly trace: string,
    options?: { cause?: unknown },
  ) {
    super(`${headline}\n\n${state}\n\ntrace so far:\n${trace}`, options);
  }
}
