#!/usr/bin/env node
// SPIN vs lazytlb on the anchor model (issue 15, "Compare with the anchor").
//
// ../shared/anchors/lazytlb.pml is a small Promela model of the lazy-TLB protocol: CPU0 runs the
// last user thread of mm M, which exits; CPUs 1..NCPU-1 ran a thread of M that exited, their idle
// borrows M lazily (mmgrab_lazy_tlb before mmput unless SHOOTDOWN), checks ROUNDS times that M is
// not freed under it, then switches to a user task of another mm (mmdrop_lazy_tlb). This script
// writes the same protocol as an explicit lazytlb workload on the reference arch (anchorWorkload in
// lib/anchor-workload.mjs), then for each configuration (NCPU 3 and 4, each switch):
//   (a) SPIN: spin -a -D..., gcc -O2 -DSAFETY, ./pan -m1000000 (states stored, transitions, errors,
//       time to verdict = pan's wall time, the compile not included);
//   (b) lazytlb: exhaustiveSearch(sim, { seed, stateHashing: 'auto' }), unbounded (no preemption
//       bound), stopping at the first violation as pan does, within a time budget (a search the
//       budget stops is `incomplete`, with what it explored);
//   (c) one table side by side, and the ratio of times (lazytlb / SPIN).
// Then states/s of the same search per bundled arch (short, time-budgeted), separately.
//
// The switches map as follows:
//   SHOOTDOWN          -> scheme 'shootdown' (0: 'refcount', MMU_LAZY_TLB_REFCOUNT)
//   ARCH_CLEARS_MASK   -> reference arch leaveKeepsMaskBit=false (a lazy CPU leaving M drops its
//                         mm_cpumask bit at once, so shoot-lazies no longer finds it)
//   BUG_NONATOMIC_GRAB -> core mutation 'mmgrab-lazy-nonatomic' (the anchor's synthetic bug, not a
//                         kernel one): the lazy mmgrab of exit_mm() and of context_switch() to a kthread
//                         as a load of mm_count, then (the CPU's next step) a store of the load + 1
//   ROUNDS             -> a kernel thread K<i> on CPU i, after B<i>, doing ROUNDS `kwork` ops while
//                         lazy on M (a kthread borrows active_mm exactly as idle does); lazytlb checks
//                         its invariants (I3: no lazy active_mm names a freed mm) after every step.
//
//   node scripts/spin-compare.mjs [--rounds 2] [--budget 120] [--arch-budget 10] [--cpus 3,4]
//                                 [--switches NAME,...] [--pml PATH] [--json out.json] [--md out.md]
//                                 [--no-arches]
//
// Needs `pnpm build` (it imports the packages' dist) and SPIN + gcc (Debian: apt-get install -y
// spin gcc). Not part of the test suite (it needs apt and minutes).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { cpus as osCpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arg, imp, root } from './lib/script-args.mjs';
import { anchorWorkload } from './lib/anchor-workload.mjs';

const flag = (name) => process.argv.includes(`--${name}`);

const ROUNDS = Number(arg('rounds', '2'));
// Time budget of one lazytlb search in seconds, per CPU count in --cpus order (the last repeats).
const BUDGETS_S = arg('budget', '240,90').split(',').map(Number);
const ARCH_BUDGET_S = Number(arg('arch-budget', '10'));
const CPUS = arg('cpus', '3,4').split(',').map(Number);
const budgetFor = (ncpu) => BUDGETS_S[Math.min(CPUS.indexOf(ncpu), BUDGETS_S.length - 1)];
const PML = resolve(arg('pml', resolve(root, '../shared/anchors/lazytlb.pml')));

/** The configurations: every switch alone, and ARCH_CLEARS_MASK under SHOOTDOWN (where it bites). */
const SWITCHES = [
  { name: 'base (refcount)', d: {} },
  { name: 'SHOOTDOWN', d: { SHOOTDOWN: 1 } },
  { name: 'ARCH_CLEARS_MASK', d: { ARCH_CLEARS_MASK: 1 } },
  { name: 'SHOOTDOWN+ARCH_CLEARS_MASK', d: { SHOOTDOWN: 1, ARCH_CLEARS_MASK: 1 } },
  { name: 'BUG_NONATOMIC_GRAB', d: { BUG_NONATOMIC_GRAB: 1 } },
  // The same, with lazytlb's count-consistency (I4) and leak (I6) oracles off: what it finds next is the
  // consequence the anchor's assertion is about, the mm used after it was freed (I14).
  { name: 'BUG_NONATOMIC_GRAB (lazytlb I4+I6 off)', d: { BUG_NONATOMIC_GRAB: 1 }, disabledInvariants: ['I4', 'I6'] },
];

// ---------------------------------------------------------------- SPIN
function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function spinVersion() {
  try {
    return execFileSync('spin', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** spin -a, gcc, ./pan for one configuration; returns what pan printed, parsed. */
function runSpin(ncpu, rounds, defs) {
  const dir = mkdtempSync(join(tmpdir(), 'spin-compare-'));
  try {
    copyFileSync(PML, join(dir, 'lazytlb.pml'));
    const d = Object.entries({ NCPU: ncpu, ROUNDS: rounds, ...defs }).map(([k, v]) => `-D${k}=${v}`);
    const t0 = performance.now();
    execFileSync('spin', ['-a', ...d, 'lazytlb.pml'], { cwd: dir, stdio: 'pipe' });
    execFileSync('gcc', ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
    const compileMs = performance.now() - t0;
    const t1 = performance.now();
    const p = spawnSync('./pan', ['-m1000000'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = performance.now() - t1;
    const out = `${p.stdout}${p.stderr}`;
    const num = (re) => {
      const m = out.match(re);
      return m === null ? null : Number(m[1]);
    };
    const errors = num(/errors:\s*(\d+)/);
    // e.g. "pan:1: assertion violated !((freed&&...)) (at depth 61)": the kind and the depth
    const kind = out.match(/pan:\d+:\s*(\S+ \S+)/)?.[1] ?? null;
    const at = out.match(/\(at depth (\d+)\)/)?.[1];
    const firstError = kind === null ? null : `${kind}${at !== undefined ? ` at depth ${at}` : ''}`;
    return {
      verdict: errors === null ? 'error' : errors > 0 ? 'violates' : 'proved',
      errors,
      firstError,
      states: num(/(\d+)\s+states, stored/),
      transitions: num(/(\d+)\s+transitions/),
      depth: num(/depth reached\s+(\d+)/),
      panElapsedS: num(/pan: elapsed time\s+([\d.e+-]+)/),
      ms,
      compileMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- lazytlb
const core = await imp('packages/core/dist/index.js');
const explore = await imp('packages/explore/dist/index.js');
const SEED = core.runSeed(core.hashString128('spin-compare'), 0);

class TimeUp extends Error {}

/** exhaustiveSearch within a time budget: the last progress when the budget stops it. */
function search(sim, budgetS, stopAtFirstViolation = true) {
  let last = null;
  const t0 = performance.now();
  try {
    const r = explore.exhaustiveSearch(sim, {
      seed: SEED,
      stopAtFirstViolation,
      maxExecutions: Number.MAX_SAFE_INTEGER,
      progressEvery: 2000,
      onProgress: (p) => {
        last = p;
        if (p.elapsedMs > budgetS * 1000) throw new TimeUp();
      },
    });
    return {
      verdict: r.verdict,
      findings: r.findings.filter((f) => f.class === 'violation').map((f) => f.key),
      hazards: r.findings.filter((f) => f.class !== 'violation').map((f) => `${f.class}:${f.key}`),
      states: r.stateHashing.distinctStates,
      hashing: r.stateHashing.on,
      executions: r.executions,
      nodes: r.nodes,
      ms: r.elapsedMs,
    };
  } catch (e) {
    if (!(e instanceof TimeUp)) throw e;
    return {
      verdict: 'incomplete',
      findings: [],
      hazards: [],
      states: last.distinctStates,
      hashing: last.distinctStates > 0,
      executions: last.executions,
      nodes: last.nodes,
      ms: performance.now() - t0,
    };
  }
}

/** The core mutation BUG_NONATOMIC_GRAB maps to. */
export const NONATOMIC_GRAB_MUTATION = 'mmgrab-lazy-nonatomic';

function lazytlbSim(plugin, ncpu, rounds, defs, archOptions = {}, disabledInvariants = []) {
  const scheme = defs.SHOOTDOWN ? 'shootdown' : 'refcount';
  const opts = defs.ARCH_CLEARS_MASK ? { ...archOptions, leaveKeepsMaskBit: false } : archOptions;
  const mutations = defs.BUG_NONATOMIC_GRAB ? { mutations: [NONATOMIC_GRAB_MUTATION] } : {};
  return new core.Simulator({
    plugin,
    scheme,
    cpus: ncpu,
    workload: { explicit: anchorWorkload(ncpu, rounds) },
    archOptions: opts,
    ...mutations,
    disabledInvariants,
  });
}

// ---------------------------------------------------------------- run
const fmtN = (n) => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));
const fmtS = (ms) => (ms === null || ms === undefined ? '—' : ms < 1000 ? `${(ms / 1000).toFixed(3)} s` : `${(ms / 1000).toFixed(1)} s`);
const rate = (n, ms) => (n > 0 && ms > 0 ? `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s` : '—');

const haveSpin = have('spin') && have('gcc');
if (!haveSpin) console.error('spin or gcc not found (Debian: apt-get install -y spin gcc): the SPIN columns are left empty');
if (!existsSync(PML)) throw new Error(`no anchor model at ${PML} (--pml PATH)`);
const machine = `${osCpus().length} cores (${osCpus()[0]?.model ?? '?'}), node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
console.log(`SPIN vs lazytlb on ${PML}: ${date}, ${machine}; ${spinVersion() ?? 'no SPIN'}`);
console.log(
  `ROUNDS=${ROUNDS} (lazytlb: ${ROUNDS} kwork ops per lazy kthread); lazytlb budget ${CPUS.map((n) => `${budgetFor(n)} s at NCPU=${n}`).join(', ')} per configuration, reference arch, unbounded, state hashing`,
);

const rows = [];
const configs = [];
// --switches 'BUG_NONATOMIC_GRAB,base (refcount)': only those configurations (names as in SWITCHES)
const only = arg('switches', null)?.split(',');
const selected = only === undefined ? SWITCHES : SWITCHES.filter((sw) => only.includes(sw.name));
if (selected.length === 0) throw new Error(`--switches: none of ${only.join(', ')} (known: ${SWITCHES.map((sw) => sw.name).join(', ')})`);
for (const ncpu of CPUS) for (const sw of selected) configs.push({ ncpu, rounds: ROUNDS, sw });
// The issue's SPIN figure (NCPU=4, ROUNDS=60: about 10 M states), SPIN only.
if (CPUS.includes(4) && selected.includes(SWITCHES[0])) configs.push({ ncpu: 4, rounds: 60, sw: SWITCHES[0], spinOnly: true });

for (const c of configs) {
  const label = `NCPU=${c.ncpu} ROUNDS=${c.rounds} ${c.sw.name}`;
  process.stderr.write(`${label}: spin ... `);
  const spin = haveSpin ? runSpin(c.ncpu, c.rounds, c.sw.d) : null;
  process.stderr.write(`${spin?.verdict ?? '-'} ${fmtS(spin?.ms)}; lazytlb ... `);
  const lz = !c.spinOnly ? search(lazytlbSim(core.referenceArch, c.ncpu, c.rounds, c.sw.d, {}, c.sw.disabledInvariants), budgetFor(c.ncpu)) : null;
  process.stderr.write(`${lz?.verdict ?? 'n/a'} ${fmtS(lz?.ms)}\n`);
  rows.push({ config: label, ncpu: c.ncpu, rounds: c.rounds, switches: c.sw.d, spin, lazytlb: lz, ratio: spin && lz ? lz.ms / spin.ms : null });
}

const fmtRatio = (r) =>
  r.ratio === null
    ? '—'
    : r.lazytlb.verdict === 'incomplete'
      ? `> ${Math.round(r.ratio).toLocaleString('en-US')}× (incomplete)`
      : r.ratio < 10
        ? `${r.ratio.toFixed(2)}×`
        : `${Math.round(r.ratio).toLocaleString('en-US')}×`;
const verdictText = (v, extra) => (extra?.length ? `${v} ${extra.join(',')}` : v);
const lines = [
  '| config | SPIN verdict | SPIN states | SPIN time | lazytlb verdict | lazytlb states (distinct) | lazytlb executions | lazytlb time | time ratio (lazytlb/SPIN) |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const s = r.spin;
  const l = r.lazytlb;
  const why = 'not run (SPIN reference row)';
  lines.push(
    `| ${r.config} | ${s ? verdictText(s.verdict, s.firstError ? [s.firstError] : []) : '—'} | ${fmtN(s?.states)} | ${fmtS(s?.ms)} | ` +
      (l ? `${verdictText(l.verdict, l.findings)} | ${fmtN(l.states)} | ${fmtN(l.executions)} | ${fmtS(l.ms)} | ${fmtRatio(r)} |` : `${why} | — | — | — | — |`),
  );
}
const table = lines.join('\n');
console.log(`\n${table}\n`);

// ---------------------------------------------------------------- per arch
let archTable = null;
const archRows = [];
if (!flag('no-arches')) {
  const bundled = [
    ['reference', core.referenceArch],
    ['x86-native', (await imp('plugins/x86-native/dist/index.js')).default],
    ['x86-paravirt', (await imp('plugins/x86-paravirt/dist/index.js')).default],
    ['powerpc', (await imp('plugins/powerpc/dist/index.js')).default],
    ['arm64', (await imp('plugins/arm64/dist/index.js')).default],
  ];
  const ncpu = CPUS[0];
  for (const [name, plugin] of bundled) {
    process.stderr.write(`arch ${name}: `);
    let sim;
    try {
      sim = new core.Simulator({ plugin, scheme: 'refcount', cpus: ncpu, workload: { explicit: anchorWorkload(ncpu, ROUNDS) } });
    } catch (e) {
      archRows.push({ arch: name, error: String(e.message ?? e) });
      process.stderr.write('refused\n');
      continue;
    }
    const refusal = sim.stateHashRefusal;
    const r = search(sim, ARCH_BUDGET_S, false);
    archRows.push({ arch: name, refusal, ...r });
    process.stderr.write(`${r.verdict} ${fmtS(r.ms)}\n`);
  }
  archTable = [
    `| arch (NCPU=${ncpu}, ROUNDS=${ROUNDS}, refcount, ≤${ARCH_BUDGET_S} s) | state hashing | verdict | distinct states | states/s | executions/s | tree nodes/s |`,
    '|---|---|---|---|---|---|---|',
    ...archRows.map((a) =>
      a.error !== undefined
        ? `| ${a.arch} | — | refused: ${a.error} | — | — | — | — |`
        : `| ${a.arch} | ${a.refusal === null ? 'on' : `off (${a.refusal})`} | ${a.verdict} | ${fmtN(a.states)} | ${a.hashing ? rate(a.states, a.ms) : '—'} | ${rate(a.executions, a.ms)} | ${rate(a.nodes, a.ms)} |`,
    ),
  ].join('\n');
  console.log(`${archTable}\n`);
}

const json = arg('json', null);
if (json !== null)
  writeFileSync(json, `${JSON.stringify({ date, machine, pml: PML, rounds: ROUNDS, budgetsS: BUDGETS_S, rows, arches: archRows }, null, 2)}\n`);
const md = arg('md', null);
if (md !== null) writeFileSync(md, `${date}, ${machine}\n\n${table}\n\n${archTable ?? ''}\n`);
