/**
 * Pack and install: what `npm install @lazytlb/sweep` would give a user. `pnpm pack`s the sweep
 * app, every workspace package it depends on (core and the bundled arch plugins) and the
 * testkit (as `pnpm publish` would: `workspace:` ranges rewritten), installs the tarballs with
 * plain npm into an empty project outside the repository (external dependencies such as zod and
 * echarts come from the registry), then runs the installed `lazytlb` bin and imports the
 * libraries there. Needs the packages built (turbo's `test` depends on `build`) and the npm
 * registry; takes 10–60 s, mostly npm install.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

interface Pkg {
  name: string;
  version: string;
  dir: string;
  json: Record<string, unknown> & { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
}

function workspacePackages(): Map<string, Pkg> {
  const out = new Map<string, Pkg>();
  for (const group of ['packages', 'plugins', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const file = join(base, name, 'package.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as Pkg['json'];
      out.set(String(json.name), { name: String(json.name), version: String(json.version), dir: join(base, name), json });
    }
  }
  return out;
}

/** The sweep app, its workspace dependencies (transitively, peers included) and the testkit. */
function packagesToPack(all: Map<string, Pkg>): Pkg[] {
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    const p = all.get(name);
    if (!p || wanted.has(name)) return;
    wanted.add(name);
    for (const deps of [p.json.dependencies, p.json.peerDependencies]) {
      for (const [dep, range] of Object.entries(deps ?? {})) if (range.startsWith('workspace:')) visit(dep);
    }
  };
  visit('@lazytlb/sweep');
  visit('@lazytlb/testkit');
  return [...wanted].map((n) => all.get(n)!);
}

/** pnpm: the one running the tests (npm_execpath) if any, else the pinned one through npx. */
function pnpm(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return /\.c?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []];
  return ['npx', ['-y', 'pnpm@10.34.8']];
}

/**
 * The environment for plain npm in the temp project: without the npm_* variables the test
 * runner's package managers set (npm_config_local_prefix etc. would point npm back at the
 * workspace), but keeping the ones that say how to reach the registry.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cafile|ca|noproxy|proxy|https_proxy|strict_ssl|userconfig|cache)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.test(k)) env[k] = v;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-pack-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pack and install', () => {
  it('installs the packed tarballs with npm and runs `npx lazytlb sweep` from them', () => {
    const all = workspacePackages();
    const pkgs = packagesToPack(all);
    expect(pkgs.map((p) => p.name)).toEqual(expect.arrayContaining(['@lazytlb/sweep', '@lazytlb/core', '@lazytlb/arch-x86-native', '@lazytlb/testkit']));
    for (const p of pkgs) {
      if (!existsSync(join(p.dir, 'dist'))) throw new Error(`${p.name}: no dist/ in ${p.dir}: build first`);
    }

    const tarballs = join(tmp, 'tarballs');
    mkdirSync(tarballs);
    const [cmd, pre] = pnpm();
    for (const p of pkgs) {
      execFileSync(cmd, [...pre, 'pack', '--pack-destination', tarballs], { cwd: p.dir, stdio: 'pipe' });
    }
    const tgzs = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    expect(tgzs).toHaveLength(pkgs.length);

    const project = join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'lazytlb-pack-install', version: '0.0.0', private: true, type: 'module' }, null, 2));
    const opts: ExecFileSyncOptions = { cwd: project, env: npmEnv(), stdio: 'pipe', maxBuffer: 64 << 20 };
    execFileSync('npm', ['install', '--no-audit', '--no-fund', ...tgzs.map((f) => join(tarballs, f))], opts);

    // One copy of each package, all from the tarballs (the peer @lazytlb/core deduplicated).
    for (const p of pkgs) {
      const installed = JSON.parse(readFileSync(join(project, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect(installed.version).toBe(p.version);
      expect(JSON.stringify(installed)).not.toContain('workspace:');
    }
    const nested = execFileSync('npm', ['ls', '--all', '--parseable', '@lazytlb/core'], { ...opts, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(nested).toEqual([join(project, 'node_modules', '@lazytlb', 'core')]);

    // The libraries import as ESM from the installed tarballs.
    const probe = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        [
          "import * as core from '@lazytlb/core';",
          "import * as testkit from '@lazytlb/testkit';",
          "import x86 from '@lazytlb/arch-x86-native';",
          "import * as sweep from '@lazytlb/sweep';",
          'console.log(JSON.stringify({ core: Object.keys(core).length, testkit: Object.keys(testkit).length,',
          '  arch: x86.descriptor?.name ?? x86.name ?? typeof x86, sweep: Object.keys(sweep).length }));',
        ].join('\n'),
      ],
      { ...opts, encoding: 'utf8' },
    );
    const counts = JSON.parse(String(probe)) as Record<string, unknown>;
    expect(counts.core).toBeGreaterThan(0);
    expect(counts.testkit).toBeGreaterThan(0);
    expect(counts.sweep).toBeGreaterThan(0);

    // The bin, through npx (no download: --no), on a small deterministic sweep.
    const out = join(project, 'out');
    const args = ['sweep', '--arch', 'x86-native', '--scheme', 'refcount', '--cpus', '2', '--runs', '200', '--threads', '1', '--no-progress'];
    execFileSync('npx', ['--no', 'lazytlb', ...args, '--out', out], opts); // throws unless exit 0
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.complete).toBe(true);
    expect(results.cells).toHaveLength(1);
    const [cell] = results.cells;
    expect(cell).toMatchObject({ arch: 'x86-native', scheme: 'refcount', cpus: 2, runs: 200, verdict: 'safe' });

    // Same seeds, same model: the workspace build gives the very same cell.
    const wsOut = join(tmp, 'workspace-out');
    execFileSync(process.execPath, [join(root, 'apps/sweep/dist/cli.js'), ...args, '--out', wsOut], { stdio: 'pipe' });
    const wsCell = JSON.parse(readFileSync(join(wsOut, 'results.json'), 'utf8')).cells[0];
    expect({ id: cell.id, steps: cell.steps, costs: cell.costs }).toEqual({ id: wsCell.id, steps: wsCell.steps, costs: wsCell.costs });
  }, 300_000);
});
