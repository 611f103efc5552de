/** Exit codes of the `lazytlb` command. */
export const EXIT_OK = 0; // no violations
export const EXIT_VIOLATIONS = 1; // violations found
export const EXIT_USAGE = 2; // bad usage or config
export const EXIT_ERROR = 3; // plugin or internal error
export const EXIT_SURVIVED = 4; // `lazytlb mutants`: a mutation survived (no strategy killed it)
export const EXIT_FALSE_ALARM = 5; // `lazytlb mutants`: an unmutated cell violated (false alarm)
export const EXIT_INTERRUPTED = 130; // interrupted (SIGINT)
export const EXIT_TERMINATED = 143; // terminated (SIGTERM: Kubernetes, Slurm preemption, spot instances)

export { UsageError } from '../errors/usage-error.js';
