#!/usr/bin/env node
// The same commands run by two builds of lazytlb give the same outputs: a battery of sweeps
// (with shrinking), shards + merge, resume after an interrupt, mutants, shrink and replay (LKML
// and JSON), each written to OUT/<step>, then a manifest of every file's normalised content
// (wall-clock facts removed: timing, startedAt, elapsed lines). Run it with the old build and
// with the new one, then compare the manifests:
//
//   node scripts/identity-battery.mjs --cli /work/base/apps/sweep/dist/cli.js --out /tmp/old
//   node scripts/identity-battery.mjs --cli apps/sweep/dist/cli.js --out /tmp/new
//   node scripts/identity-battery.mjs --compare /tmp/old /tmp/new
//
// Exit 0 when the manifests are equal; 1 with the files that differ.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};

if (args[0] === '--compare') {
  const [a, b] = [args[1], args[2]].map((d) => JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')));
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diff = keys.filter((k) => a[k] !== b[k]);
  for (const k of diff) console.log(`differs: ${k} (${a[k] ?? 'absent'} vs ${b[k] ?? 'absent'})`);
  console.log(`${keys.length - diff.length} of ${keys.length} files identical`);
  process.exit(diff.length === 0 ? 0 : 1);
}

const cli = resolve(arg('cli') ?? 'apps/sweep/dist/cli.js');
const out = resolve(arg('out') ?? '/tmp/lazytlb-identity');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

function run(step, argv, { allow = [0, 1], cwd = out } = {}) {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (!allow.includes(r.status)) throw new Error(`${step}: lazytlb ${argv.join(' ')} exited ${r.status}\n${r.stderr}`);
  writeFileSync(join(out, `${step}.stdout`), r.stdout);
  writeFileSync(join(out, `${step}.status`), `${r.status}\n`);
  return r;
}

const SWEEP = [
  'sweep',
  '--arch',
  'reference',
  '--arch',
  'x86-native',
  '--scheme',
  'refcount,none,shootdown:mask=online',
  '--cpus',
  '2,3',
  '--runs',
  '3000',
  '--seed',
  'identity',
  '--no-progress',
];
run('sweep', [...SWEEP, '--threads', '2', '--out', 'sweep']);
run('sweep-json', [...SWEEP, '--threads', '1', '--no-shrink', '--json']);
run('shard1', [...SWEEP, '--threads', '1', '--shard', '1/2', '--out', 'shard1']);
run('shard2', [...SWEEP, '--threads', '2', '--shard', '2/2', '--out', 'shard2']);
run('merge', ['merge', 'shard1', 'shard2', '--out', 'merged']);
// Interrupted (SIGINT after 1.5 s, or finished before it), then resumed: the uninterrupted result.
const cut = spawnSync(process.execPath, [cli, ...SWEEP, '--threads', '2', '--out', 'resumed'], { cwd: out, timeout: 1500, killSignal: 'SIGINT' });
if (![0, 1, 130, null].includes(cut.status)) throw new Error(`interrupted sweep exited ${cut.status}`);
// (Killed before it wrote anything: nothing to resume, the plain sweep is the same result.)
if (existsSync(join(out, 'resumed', 'results.json'))) run('resume', [...SWEEP, '--threads', '2', '--resume', 'resumed', '--out', 'resumed']);
else run('resume', [...SWEEP, '--threads', '2', '--out', 'resumed']);
run('tso', [
  'sweep',
  '--arch',
  'x86-native',
  '--memory',
  'tso',
  '--scheme',
  'refcount,none',
  '--cpus',
  '2',
  '--runs',
  '2000',
  '--seed',
  'identity',
  '--no-progress',
  '--out',
  'tso',
]);
run('schemes', [
  'sweep',
  '--arch',
  'x86-native',
  '--arch',
  'powerpc:mmu=radix',
  '--scheme',
  'hazptr,lazy-mm-scan',
  '--cpus',
  '2',
  '--runs',
  '1500',
  '--seed',
  'identity',
  '--no-progress',
  '--out',
  'schemes',
]);
run('mutants', ['mutants', '--budget', '300', '--seed', 'identity', '--no-progress', '--out', 'mutants'], { allow: [0, 4, 5] });
const failures = readdirSync(join(out, 'sweep', 'failures'))
  .filter((f) => f.endsWith('.json') && !f.endsWith('.shrunk.json'))
  .sort();
for (const f of failures.slice(0, 4)) {
  run(`replay-${f}`, ['replay', join('sweep', 'failures', f)]);
  run(`replay-json-${f}`, ['replay', '--format', 'json', join('sweep', 'failures', f)]);
}
if (failures.length > 0) run('shrink', ['shrink', join('sweep', 'failures', failures[0]), '--out', 'shrunk.json']);

// Normalise: wall-clock facts differ between equal runs.
function normalise(path, text) {
  if (path.endsWith('.json') || text.startsWith('{')) {
    const strip = (v) => {
      if (Array.isArray(v)) return v.map(strip);
      if (v === null || typeof v !== 'object') return v;
      const o = {};
      for (const [k, x] of Object.entries(v)) if (!['timing', 'startedAt', 'elapsedMs', 'secondsToKill'].includes(k)) o[k] = strip(x);
      return o;
    };
    try {
      return JSON.stringify(strip(JSON.parse(text)));
    } catch {
      return text;
    }
  }
  if (path.endsWith('mutants.stdout')) text = text.replace(/(\s)\d+\.\d\d(\s)/g, '$1<s>$2'); // the seconds-to-kill column
  return text
    .replace(/\b\d+(\.\d+)? ?(ms|s)\b/g, '<t>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<date>')
    .replace(/[\d,]+ steps\/s/g, '<rate>')
    .replace(/<script>[\s\S]*<\/script>/g, '<script>');
}
const manifest = {};
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (!name.endsWith('manifest.json'))
      manifest[relative(out, p)] = createHash('sha256')
        .update(normalise(p, readFileSync(p, 'utf8')))
        .digest('hex')
        .slice(0, 16);
  }
};
walk(out);
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
console.log(
  `${Object.keys(manifest).length} files in ${out}/manifest.json (lazytlb ${execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).split('\n')[0]})`,
);
