#!/usr/bin/env node
// Wall-clock of the same sweep run by two builds of lazytlb, interleaved (A B A B ...) on this
// machine, so drift and noise hit both alike; prints each trial and the medians. The sweep is the
// default matrix's arches and schemes at a smaller run count (or --args), with the same --threads.
//
//   node scripts/bench-sweep.mjs --a /work/base/apps/sweep/dist/cli.js --b apps/sweep/dist/cli.js [--trials 5] [--runs 20000] [--threads 2]
//
// Both builds must produce identical results.json (minus timing): checked on the first trial.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args[i + 1];
};
const a = resolve(arg('a'));
const b = resolve(arg('b', 'apps/sweep/dist/cli.js'));
const trials = Number(arg('trials', '5'));
const runs = arg('runs', '20000');
const threads = arg('threads', '2');
const sweep = [
  'sweep',
  '--arch',
  'reference',
  '--arch',
  'x86-native',
  '--arch',
  'powerpc:mmu=radix',
  '--arch',
  'arm64',
  '--scheme',
  'refcount,shootdown,none',
  '--cpus',
  '2,4',
  '--runs',
  runs,
  '--threads',
  threads,
  '--seed',
  'bench',
  '--no-progress',
];

function once(cli) {
  const out = mkdtempSync(join(tmpdir(), 'lazytlb-bench-'));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...sweep, '--out', out], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cli} exited ${r.status}: ${r.stderr}`);
  const { timing: _t, ...res } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return { ms, cells: res.cells.map((c) => ({ id: c.id, runs: c.runs, steps: c.steps, violations: c.violations, hazards: c.hazards, useSites: c.useSites })) };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ta = [],
  tb = [];
for (let i = 0; i < trials; i++) {
  const ra = once(a),
    rb = once(b);
  if (i === 0 && JSON.stringify(ra.cells) !== JSON.stringify(rb.cells))
    throw new Error('the two builds give different cells (runs, steps, findings): not the same sweep');
  ta.push(ra.ms);
  tb.push(rb.ms);
  console.log(`trial ${i + 1}: A ${(ra.ms / 1000).toFixed(1)} s, B ${(rb.ms / 1000).toFixed(1)} s`);
}
console.log(
  `median of ${trials}: A ${(median(ta) / 1000).toFixed(1)} s, B ${(median(tb) / 1000).toFixed(1)} s (B/A ${(median(tb) / median(ta)).toFixed(3)}); ${sweep.slice(1).join(' ')}`,
);
