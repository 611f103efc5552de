/**
 * The `lazytlb` command line (commander): sweep, replay, shrink, merge, regress, arches, schemes,
 * new-arch, new-scheme, mutants. Every command
 * returns its exit code; errors a user can fix exit 2 with a one-paragraph message, plugin
 * and internal errors exit 3.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import {
  classifyError,
  type ErrorCode,
  type ResultsFile,
  shrinkFirstFailures,
  shrunkBuildOptions,
  type ShrunkEntry,
  verifyFirstFailures,
} from '@lazytlb/explore';
import { formatArches, listArches } from '../plugins/list.js';
import { formatNewArch, newArch } from '../new-arch/new-arch.js';
import { formatNewScheme, newScheme } from '../new-scheme/new-scheme.js';
import { formatSchemes, listSchemes } from '../plugins/list-schemes.js';
import { createRegistry } from '../plugins/bundled.js';
import { ReplayError, REPLAY_FORMATS } from '../replay/replay.js';
import { type ReplayCommandOptions, replayCommand } from '../replay/command.js';
import { mergeResultDirs } from '../results/merge-dirs.js';
import { OutputDir } from '../results/output-dir.js';
import { resultsJson, writeResultDir } from '../results/write.js';
import { formatShrinkResult, shrinkFile } from '../shrink/shrink-file.js';
import { versionText } from './version.js';
import { findingsExitCode, parseFailOn } from './fail-on.js';
import { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { DEFAULT_MUTANT_BUDGET, mutantsCommand, type MutantsCommandOptions } from './mutants-command.js';
import { checkJunitPath, sweepCommand, writeJunit, writeShrunk, type SweepCommandOptions } from './sweep-command.js';
import { replayHints } from '../report/replay-hint.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Exit code per error code: the one place the CLI decides it. 2: the user can fix it (usage,
 * input, a plugin that does not load, two sweeps that do not match, files); 1: a replay that
 * did not reproduce; 3: a plugin that threw or is nondeterministic, a model error, a bug;
 * 130: interrupted.
 */
export const EXIT_CODE_OF: Readonly<Record<ErrorCode, number>> = {
  usage: EXIT_USAGE,
  input: EXIT_USAGE,
  'plugin-load': EXIT_USAGE,
  mismatch: EXIT_USAGE,
  io: EXIT_USAGE,
  'replay-mismatch': 1,
  plugin: EXIT_ERROR,
  nondeterminism: EXIT_ERROR,
  model: EXIT_ERROR,
  internal: EXIT_ERROR,
  interrupted: EXIT_INTERRUPTED,
};

/** Map an error to its exit code and print it: one line for what a user can fix, a stack only for a bug. */
export function reportError(e: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const code = classifyError(e);
  const err = e instanceof Error ? e : new Error(String(e));
  if (code === 'internal') stderr.write(`lazytlb: internal error: ${err.stack ?? err.message}\n`);
  else stderr.write(`lazytlb: ${err.message}\n`);
  return EXIT_CODE_OF[code];
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('lazytlb')
    .description('Simulate Linux lazy TLB mm references across arches and schemes; find where a scheme is unsafe and what it costs.')
    .option('-V, --version', "print the tool and core versions and the model's behaviour fingerprints")
    .exitOverride()
    .showHelpAfterError()
    .action((o: { version?: boolean }) => {
      if (o.version !== true) {
        program.outputHelp({ error: true });
        setExit(EXIT_USAGE);
        return;
      }
      process.stdout.write(versionText());
      setExit(EXIT_OK);
    });

  program
    .command('sweep')
    .description('run a config matrix of seeded runs on a worker pool and report verdicts, costs and shrunk counterexamples')
    .option('--matrix <file>', 'matrix file (YAML or JSON)')
    .option('--arch <name[:key=value,...]>', 'arch plugin and options (repeatable)', collect)
    .option('--plugin <path>', 'load an arch or a scheme plugin from a path (its descriptor says which; repeatable)', collect)
    .option(
      '--scheme <scheme[:key=value,...]>',
      "refcount | shootdown | none or a scheme plugin's name, with options (e.g. shootdown:mask=online) (repeatable or comma-separated; `lazytlb schemes` lists them)",
      collect,
    )
    .option(
      '--preempt <model>',
      'preemption model of the simulated kernel: none | voluntary | full | rt (default full; repeatable or comma-separated)',
      collect,
    )
    .option(
      '--memory <model>',
      'memory model: sc | tso (per-CPU store buffers; only arches that offer it) (default sc; repeatable or comma-separated)',
      collect,
    )
    .option('--cpus <n>', 'CPU counts (repeatable or comma-separated)', collect)
    .option(
      '--workload <profile>',
      'a profile (default | exit-heavy | kthread-heavy | idle-heavy | pingpong | hotplug), canonical:NAME (a small explicit workload: core CANONICAL_WORKLOADS), or JSON {profile, params} (repeatable)',
      collect,
    )
    .option(
      '--strategy <s>',
      'random | pct:D | exhaustive | exhaustive:P (every schedule, P = preemption bound; cells then say proved / violates / incomplete) (repeatable or comma-separated)',
      collect,
    )
    .option('--max-executions <n>', 'executions budget of each exhaustive cell, shared equally by its 32 subtrees (default 1000000)')
    .option(
      '--mutation <id>',
      'mutation set per value: ID, ID+ID (together) or none (repeatable or comma-separated; `lazytlb mutants --list` lists them)',
      collect,
    )
    .option('--runs <n>', 'runs per cell')
    .option('--time-budget <duration>', 'stop dispatching after this long (e.g. 90s, 2m)')
    .option('--seed <s>', 'base seed (part of every cell id)')
    .option('--step-budget <n>', 'steps per run before it counts as budget exceeded')
    .option('--threads <n>', 'worker threads (default: the CPUs this process may use: its CPU affinity and cgroup CPU quota)')
    .addOption(new Option('--batch-size <n>', 'runs per batch (results do not depend on it)').hideHelp())
    .option('--out <dir>', 'write results.json, report.md, report.html and failures/ there (default: a new lazytlb-out/<timestamp>)')
    .option('--force', "replace an --out that holds another sweep's results, an interrupted run (see --resume) or other files")
    .option('--json', 'print results.json on stdout (the replay hints go to stderr)')
    .option('--junit <file>', 'also write a JUnit XML report: one test case per cell (for CI systems)')
    .option('--checkpoint-every <duration>', 'write a resumable checkpoint to the output directory this often while running (e.g. 5m; at least 1s)')
    .option('--shard <i/n>', 'run shard I of N')
    .option('--shards <n>', 'run shard (index from JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID / AWS_BATCH_JOB_ARRAY_INDEX) of N')
    .option('--resume <dir>', 'continue an interrupted sweep written to DIR')
    .option('--coverage', 'measure abstract-state coverage: distinct lazy-TLB states per cell and their growth (about a third slower)')
    .option('--fail-on <what>', 'violations (default) | incomplete | hazards | never: what makes a completed sweep exit 1 (errors exit 3 whatever it says)')
    .option('--no-shrink', 'do not shrink first failures')
    .option('--no-progress', 'no progress on stderr')
    .action(async (o: SweepCommandOptions) => setExit(await sweepCommand(o)));

  program
    .command('mutants')
    .description(
      'sweep every catalogued mutation (a restored, since-fixed kernel bug) on its cells: is it killed, after how many runs, by which strategy; plus the same cells unmutated (false-alarm check)',
    )
    .option('--budget <runs|duration>', `runs per (cell, strategy), or wall clock for the whole command such as 2m (default ${DEFAULT_MUTANT_BUDGET} runs)`)
    .option('--mutation <id>', 'only these mutations (repeatable or comma-separated)', collect)
    .option('--strategies <list>', 'random, pct:D, swarm+STRATEGY (comma-separated; default random,pct:1,pct:2,pct:3,swarm+pct:3)', collect)
    .option('--seed <s>', 'base seed (part of every cell id)')
    .option('--threads <n>', 'worker threads (default: the CPUs this process may use: its CPU affinity and cgroup CPU quota)')
    .option('--plugin <path>', 'load an arch plugin (and its mutations) or a scheme plugin from a path (repeatable)', collect)
    .option('--out <dir>', 'write mutants.json, kills/ (each kill and its shrunk artifact) and false-alarms/ there')
    .option('--json', 'print mutants.json on stdout')
    .option('--list', 'list the catalogue (with --json: as JSON) and exit')
    .option('--no-shrink', 'do not shrink the kills (nor bound their depth)')
    .option('--no-progress', 'no progress on stderr')
    .action(async (o: MutantsCommandOptions) => setExit(await mutantsCommand(o)));

  program
    .command('replay')
    .description('re-run a failure artifact exactly and print it, or run one seed of a swept cell (--cell, --seed)')
    .argument('[artifact]', 'failure artifact (JSON); not with --cell')
    .addOption(new Option('--format <format>', 'output format (perfetto: trace-event JSON for ui.perfetto.dev)').choices([...REPLAY_FORMATS]).default('lkml'))
    .option('--out <file>', 'write the output to FILE instead of stdout')
    .option('--plugin <path>', "load an arch or a scheme plugin from a path (the artifact's, when not bundled; repeatable)", collect)
    .option(
      '--allow-model-mismatch',
      'replay even when the model behaves differently from the one that recorded it (says what differs and whether it reproduced)',
    )
    .option('--cell <id|json|file>', 'run a seed of this cell instead: its id (with --results) or its JSON (results.json raw.cellId) or a file holding it')
    .option('--seed <seed>', "with --cell: the run's seed (32 hex digits, results.json firstFailures[].seed)")
    .option('--results <file|dir>', "with --cell: the sweep's results.json (or its directory): resolves an id, and compares with what it recorded")
    .action(async (artifact: string | undefined, o: ReplayCommandOptions & { out?: string }) => {
      const { text, notes } = await replayCommand(artifact, o);
      for (const n of notes) process.stderr.write(`lazytlb: ${n}\n`);
      if (o.out === undefined) process.stdout.write(text);
      else {
        try {
          writeFileSync(o.out, text);
        } catch (e) {
          throw new ReplayError(`cannot write ${o.out}: ${(e as Error).message}`);
        }
        process.stderr.write(`lazytlb: wrote ${o.out}${o.format === 'perfetto' ? ' (open it at https://ui.perfetto.dev: Open trace file)' : ''}\n`);
      }
      setExit(EXIT_OK);
    });

  program
    .command('shrink')
    .description('minimize a failure (steps, CPUs, tasks, ops, arch options), report its bug depth, and write a new artifact')
    .argument('<artifact>', 'failure artifact (JSON)')
    .option('--out <file>', 'where to write the shrunk artifact (default: ARTIFACT.shrunk.json)')
    .option('--plugin <path>', "load an arch or a scheme plugin from a path (the artifact's, when not bundled; repeatable)", collect)
    .action(async (artifact: string, o: { out?: string; plugin?: string[] }) => {
      const r = await shrinkFile(artifact, { pluginPaths: o.plugin ?? [], ...(o.out !== undefined ? { out: o.out } : {}) });
      process.stdout.write(formatShrinkResult(artifact, r));
      setExit(EXIT_OK);
    });

  program
    .command('merge')
    .description('merge shard outputs into the single-machine result')
    .argument('<dirs...>', 'shard output directories')
    .requiredOption('--out <dir>', 'where to write the merged results')
    .option('--json', 'print the merged results.json on stdout')
    .option('--no-shrink', 'do not shrink first failures')
    .option('--plugin <path>', "load an arch or a scheme plugin from a path (the shards', when not bundled; repeatable)", collect)
    .option('--allow-partial', 'merge the shards given even when some of 1..N are missing (the result is marked incomplete)')
    .option('--fail-on <what>', 'violations (default) | incomplete | hazards | never: what makes the merge exit 1 (errors exit 3 whatever it says)')
    .option('--junit <file>', 'also write a JUnit XML report: one test case per cell (for CI systems)')
    .action(
      async (
        dirs: string[],
        o: { out: string; json?: boolean; shrink?: boolean; plugin?: string[]; allowPartial?: boolean; failOn?: string; junit?: string },
      ) => {
        const failOn = parseFailOn(o.failOn);
        if (o.junit !== undefined) checkJunitPath(o.junit);
        const registry = await createRegistry(o.plugin ?? []);
        const outDir = OutputDir.prepare(o.out);
        const verified = await verifyFirstFailures(mergeResultDirs(dirs, { allowPartial: o.allowPartial === true }), registry);
        const merged = verified.result;
        // The merged first failures are the single machine's: shrink them as `sweep` does; the output changes as a unit.
        const shrunk =
          o.shrink === false
            ? new Map<string, ShrunkEntry>()
            : await shrinkFirstFailures(merged, registry, (s) => void process.stderr.write(s), undefined, verified.unstable);
        let file!: ResultsFile;
        outDir.commit((dir) => {
          file = writeResultDir(dir, merged, registry, shrunkBuildOptions(shrunk));
          writeShrunk(dir, shrunk);
        });
        if (o.junit !== undefined) writeJunit(o.junit, file, failOn, o.out);
        process.stderr.write(`lazytlb: merged ${dirs.length} shard(s) into ${o.out}${o.junit !== undefined ? `; JUnit: ${o.junit}` : ''}\n`);
        // The merged first failures, one replay line each (stdout; stderr with --json).
        const hints = replayHints(file, o.out);
        if (o.json === true) process.stdout.write(resultsJson(file));
        for (const h of hints) (o.json === true ? process.stderr : process.stdout).write(`${h}\n`);
        setExit(findingsExitCode(file, failOn));
      },
    );

  program
    .command('regress')
    .description('replay every failure artifact under DIR (a regression suite); fails when one no longer reproduces, now passes or differs')
    .argument('<dir>', 'directory of failure artifacts, searched recursively (e.g. a sweep output or committed failures/)')
    .option('--plugin <path>', "load an arch or a scheme plugin from a path (the artifacts', when not bundled; repeatable)", collect)
    .option('--allow-model-mismatch', 'replay artifacts recorded by a model that behaves differently (else they are refused: exit 2)')
    .option('--json', 'print the report as JSON (lazytlb.regress/1)')
    .action(async (dir: string, o: { plugin?: string[]; allowModelMismatch?: boolean; json?: boolean }) => {
      const { regressCommand } = await import('../regress/regress.js');
      setExit(await regressCommand(dir, o));
    });

  program
    .command('arches')
    .description('list installed arch plugins with their option schemas')
    .option('--plugin <path>', 'also load an arch plugin from a path (repeatable; scheme plugins are skipped)', collect)
    .option('--json', 'print as JSON')
    .action(async (o: { plugin?: string[]; json?: boolean }) => {
      const arches = await listArches(await createRegistry(o.plugin ?? []));
      process.stdout.write(o.json === true ? `${JSON.stringify(arches, null, 2)}\n` : formatArches(arches));
      setExit(EXIT_OK);
    });

  program
    .command('schemes')
    .description('list lazy-mm schemes (bundled, --plugin, installed @lazytlb/scheme-* packages) with their options, provenance, Kconfig and claims')
    .option('--plugin <path>', 'also load a scheme plugin from a path (repeatable; arch plugins are skipped)', collect)
    .option('--json', 'print as JSON')
    .action(async (o: { plugin?: string[]; json?: boolean }) => {
      const schemes = await listSchemes(await createRegistry(o.plugin ?? []));
      process.stdout.write(o.json === true ? `${JSON.stringify(schemes, null, 2)}\n` : formatSchemes(schemes));
      setExit(EXIT_OK);
    });

  program
    .command('new-scheme')
    .description('generate a lazy-mm scheme plugin package (@lazytlb/scheme-NAME) with a working scheme, conformance and scheme tests and a README')
    .argument('<name>', 'scheme name: lowercase letters, digits and dashes, starting with a letter')
    .option('--dir <dir>', 'parent directory of the package (it goes to DIR/scheme-NAME)', 'plugins')
    .option('--force', 'write into an existing directory, overwriting the generated files')
    .option(
      '--scope <scope>',
      'an npm scope (@myorg) for an out-of-tree plugin: the package is @SCOPE/lazytlb-scheme-NAME, with no lazytlb repository URL and ^ the current @lazytlb versions',
    )
    .action((name: string, o: { dir: string; force?: boolean; scope?: string }) => {
      const r = newScheme({ name, dir: o.dir, force: o.force === true, ...(o.scope !== undefined ? { scope: o.scope } : {}) });
      process.stdout.write(formatNewScheme(r, name));
      setExit(EXIT_OK);
    });

  program
    .command('new-arch')
    .description('generate an arch plugin package (@lazytlb/arch-NAME) with a working model, conformance and scenario tests, a truth-table script and a README')
    .argument('<name>', 'arch name: lowercase letters, digits and dashes, starting with a letter')
    .option('--dir <dir>', 'parent directory of the package', 'plugins')
    .option('--force', 'write into an existing directory, overwriting the generated files')
    .option(
      '--scope <scope>',
      'an npm scope (@myorg) for an out-of-tree plugin: the package is @SCOPE/lazytlb-arch-NAME, with no lazytlb repository URL and ^ the current @lazytlb versions',
    )
    .action((name: string, o: { dir: string; force?: boolean; scope?: string }) => {
      const r = newArch({ name, dir: o.dir, force: o.force === true, ...(o.scope !== undefined ? { scope: o.scope } : {}) });
      process.stdout.write(formatNewArch(r, name));
      setExit(EXIT_OK);
    });

  return program;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; usage errors (unknown option, missing argument) exit 2
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(e);
  }
}
