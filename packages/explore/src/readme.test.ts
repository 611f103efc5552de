/**
 * The README's example runs as written: its ```ts block is copied to a module inside this
 * package (so `@lazytlb/explore` resolves to this package's build) and imported; what it prints
 * is checked.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const dir = new URL('../.readme-example/', import.meta.url);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README example', () => {
  it('is at most 40 lines, runs a sweep with a custom executor and a shrink, with no CLI', async () => {
    expect(block).toContain('runSweep(');
    expect(block).toContain('shrinkArtifact(');
    expect(block).not.toMatch(/@lazytlb\/sweep/);
    expect(block.trimEnd().split('\n').length).toBeLessThanOrEqual(40);
    mkdirSync(dir, { recursive: true });
    const file = new URL('example.ts', dir);
    writeFileSync(file, block);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      await import(file.href);
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toMatch(/^8 batches; I\d+ in run \d+: \d+ -> \d+ steps$/);
    const [, before, after] = /: (\d+) -> (\d+) steps/.exec(lines[0]!)!;
    expect(Number(after)).toBeLessThanOrEqual(Number(before));
    expect(lines[1]).toMatch(/^lazytlb: I\d+ [a-z-]+ violated at step \d+ on CPU\d/);
  });
});
