import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutContents, checkSameSweep, defaultOutDir } from './out-guard.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'lazytlb-guard-'));
const results = (d: string, r: object): void =>
  writeFileSync(join(d, 'results.json'), JSON.stringify({ schema: 'lazytlb.results/3', matrix: { hash: 'aa' }, shard: null, interrupted: false, ...r }));

describe('defaultOutDir', () => {
  it('is lazytlb-out/<UTC timestamp>, made on the spot, with a suffix when taken', () => {
    const now = new Date('2026-12-07T07:30:12.345Z');
    const made: string[] = [];
    const taken = new Set([join('lazytlb-out', '2026-12-07T07-30-12Z'), join('lazytlb-out', '2026-12-07T07-30-12Z-2')]);
    const mkdir = (p: string): void => {
      if (taken.has(p)) throw Object.assign(new Error(`EEXIST: ${p}`), { code: 'EEXIST' });
      made.push(p);
    };
    const cwd = process.cwd();
    process.chdir(dir());
    try {
      expect(defaultOutDir(now, mkdir)).toBe(join('lazytlb-out', '2026-12-07T07-30-12Z-3'));
      expect(made).toEqual([join('lazytlb-out', '2026-12-07T07-30-12Z-3')]);
      taken.clear();
      expect(defaultOutDir(now, mkdir)).toBe(join('lazytlb-out', '2026-12-07T07-30-12Z'));
      const eacces = (): void => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      };
      expect(() => defaultOutDir(now, eacces)).toThrow(/^cannot create lazytlb-out\/2026-12-07T07-30-12Z \(give --out DIR\): EACCES/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('checkOutContents', () => {
  it('accepts a missing or empty directory, or one holding lazytlb results', () => {
    const d = dir();
    expect(() => checkOutContents(join(d, 'new'), false)).not.toThrow();
    expect(() => checkOutContents(d, false)).not.toThrow();
    results(d, {});
    expect(() => checkOutContents(d, false)).not.toThrow();
  });
  it('refuses a non-empty directory without results (a home directory would be replaced) unless --force', () => {
    const d = dir();
    writeFileSync(join(d, 'thesis.tex'), 'x');
    mkdirSync(join(d, 'src'));
    expect(() => checkOutContents(d, false)).toThrow(/is not empty and holds no lazytlb results \(2 entries would be replaced\); give --force/);
    expect(() => checkOutContents(d, true)).not.toThrow();
  });
  it('refuses a results.json that is not lazytlb results', () => {
    const d = dir();
    writeFileSync(join(d, 'results.json'), '{"schema":"other"}');
    expect(() => checkOutContents(d, false)).toThrow(/its results.json is not a lazytlb results file/);
    writeFileSync(join(d, 'results.json'), 'not json');
    expect(() => checkOutContents(d, false)).toThrow(/not a lazytlb results file/);
  });
});

describe('checkSameSweep', () => {
  it("refuses another sweep's results, another shard, or an interrupted run (resume is explicit), unless --force", () => {
    const d = dir();
    results(d, {});
    expect(() => checkSameSweep(d, false, { matrixHash: 'aa', shard: 'none' })).not.toThrow();
    expect(() => checkSameSweep(d, false, { matrixHash: 'bb', shard: 'none' })).toThrow(/holds another sweep's results \(matrix hash aa, this sweep's is bb\)/);
    expect(() => checkSameSweep(d, true, { matrixHash: 'bb', shard: 'none' })).not.toThrow();
    expect(() => checkSameSweep(d, false, { matrixHash: 'aa', shard: '1/2' })).toThrow(/holds shard none of this sweep, this is shard 1\/2/);
    results(d, { interrupted: true });
    expect(() => checkSameSweep(d, false, { matrixHash: 'aa', shard: 'none' })).toThrow(/interrupted run of this sweep: continue it with --resume/);
    results(d, { shard: { index: 2, count: 4 } });
    expect(() => checkSameSweep(d, false, { matrixHash: 'aa', shard: '2/4' })).not.toThrow();
  });
});
