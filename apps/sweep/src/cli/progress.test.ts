/**
 * Progress: the pure formatting (ETA as h:mm:ss, the line's parts, fitting a terminal's width)
 * and the reporter's throttle with an injected clock (a TTY line rewritten in place; plain lines
 * at most every 5 s and a final one), against a recording stream.
 */
import { describe, expect, it } from 'vitest';
import {
  bar,
  etaSeconds,
  fitLine,
  formatEta,
  PLAIN_INTERVAL_MS,
  plainLine,
  type ProgressSnapshot,
  ProgressReporter,
  progressParts,
  ttyLine,
} from './progress.js';

const snap = (runs: number, totalRuns: number, elapsedMs: number, steps = runs * 1000, violations = 0): ProgressSnapshot => ({
  runs,
  totalRuns,
  steps,
  violations,
  elapsedMs,
});

/** A stream that records what is written, and a clock the test moves. */
function recorder(tty: boolean, columns?: number) {
  const writes: string[] = [];
  const stream = { isTTY: tty, columns, write: (s: string) => void writes.push(s) };
  let t = 0;
  const clock = { now: () => t, set: (ms: number) => void (t = ms) };
  return { writes, stream, clock };
}

describe('formatEta', () => {
  it('h:mm:ss, hours unbounded, seconds rounded up; unknown as -:--:--', () => {
    expect(formatEta(0)).toBe('0:00:00');
    expect(formatEta(0.2)).toBe('0:00:01');
    expect(formatEta(59)).toBe('0:00:59');
    expect(formatEta(61)).toBe('0:01:01');
    expect(formatEta(3599.5)).toBe('1:00:00');
    expect(formatEta(3600 + 23 * 60 + 45)).toBe('1:23:45');
    expect(formatEta(100 * 3600 + 5)).toBe('100:00:05');
    for (const x of [Infinity, Number.NaN, -1]) expect(formatEta(x)).toBe('-:--:--');
  });

  it('the ETA is the runs left at the rate over the sweep so far; resumed runs took no time here', () => {
    // 250 runs in 10 s: 25 runs/s, 750 left: 30 s
    expect(etaSeconds(snap(250, 1000, 10_000))).toBe(30);
    expect(etaSeconds(snap(1000, 1000, 10_000))).toBe(0);
    expect(etaSeconds(snap(0, 1000, 10_000))).toBe(Infinity);
    expect(etaSeconds(snap(10, 1000, 0))).toBe(Infinity);
    // resumed at 500: 250 run here in 10 s, 250 left: 10 s (not the 3.3 s that counting the 500 gives)
    expect(etaSeconds(snap(750, 1000, 10_000), 500)).toBe(10);
    expect(etaSeconds(snap(500, 1000, 10_000), 500)).toBe(Infinity);
  });
});

describe('the progress line', () => {
  it('done/total runs with the share, ETA, runs/s, violating runs, steps/s', () => {
    const p = snap(12_345, 100_000, 5000, 61_725_000, 7);
    expect(progressParts(p).map((x) => x.text)).toEqual(['12,345/100,000 runs (12.3%)', 'ETA 0:00:36', '2,469 runs/s', '7 violating runs', '12.35M steps/s']);
    expect(plainLine(p)).toBe('lazytlb: 12,345/100,000 runs (12.3%), ETA 0:00:36, 2,469 runs/s, 7 violating runs, 12.35M steps/s\n');
    expect(plainLine(snap(0, 0, 0))).toBe('lazytlb: 0/0 runs (0.0%), ETA 0:00:00, 0 runs/s, 0 violating runs, 0.00M steps/s\n');
  });

  it('with exhaustive cells: states stored and their rate, the deepest branch, and the frontier when one is left', () => {
    const p = { ...snap(40, 64, 2000, 1_000_000, 0), exhaustive: { states: 123_456, maxDepth: 71, frontier: 0 } };
    expect(
      progressParts(p)
        .map((x) => x.text)
        .slice(5),
    ).toEqual(['123,456 states (61,728/s)', 'depth 71']);
    const q = { ...p, exhaustive: { states: 10, maxDepth: 3, frontier: 42 } };
    expect(
      progressParts(q)
        .map((x) => x.text)
        .slice(5),
    ).toEqual(['10 states (5/s)', 'depth 3', 'frontier 42']);
  });

  it('fits a width: drops the least useful parts first, then cuts with …', () => {
    const parts = [
      { text: 'aaaa', drop: 0 },
      { text: 'bb', drop: 1 },
      { text: 'ccc', drop: 3 },
      { text: 'dd', drop: 2 },
    ];
    expect(fitLine(parts, 100)).toBe('aaaa, bb, ccc, dd');
    expect(fitLine(parts, 17)).toBe('aaaa, bb, ccc, dd');
    expect(fitLine(parts, 16)).toBe('aaaa, bb, dd');
    expect(fitLine(parts, 12)).toBe('aaaa, bb, dd');
    expect(fitLine(parts, 11)).toBe('aaaa, bb');
    expect(fitLine(parts, 7)).toBe('aaaa');
    expect(fitLine(parts, 3)).toBe('aa…');
    expect(fitLine(parts, 1)).toBe('…');
    expect(fitLine(parts, 0)).toBe('');
  });

  it('a TTY line never exceeds the terminal width less one column, at any width', () => {
    const p = snap(123_456, 1_000_000, 61_000, 9_876_543_210, 1234);
    for (let columns = 1; columns <= 200; columns++) {
      const line = ttyLine(p, columns);
      expect(line.length, `columns ${columns}: ${line}`).toBeLessThanOrEqual(Math.max(1, columns - 1));
      expect(line).not.toContain('\n');
    }
    // wide: the bar and everything
    const wide = ttyLine(p, 200);
    expect(wide).toBe(`${bar(12.3456, 24)} 123,456/1,000,000 runs (12.3%), ETA 0:07:14, 2,024 runs/s, 1,234 violating runs, 161.91M steps/s`);
    expect(wide.startsWith('[###.....................]')).toBe(true);
    // 80 columns: the bar, the counts and the ETA; 100: the rate too
    expect(ttyLine(p, 80)).toBe('[###.....................] 123,456/1,000,000 runs (12.3%), ETA 0:07:14');
    expect(ttyLine(p, 100)).toBe('[###.....................] 123,456/1,000,000 runs (12.3%), ETA 0:07:14, 2,024 runs/s');
    // narrow: no bar, the counts and the ETA first
    expect(ttyLine(p, 50)).toBe('123,456/1,000,000 runs (12.3%), ETA 0:07:14');
    expect(ttyLine(p, 40)).toBe('123,456/1,000,000 runs (12.3%)');
    expect(ttyLine(p, 20)).toBe('123,456/1,000,000 …');
    // a TTY that does not say its width: 80 columns
    expect(ttyLine(p, undefined)).toBe(ttyLine(p, 80));
    expect(ttyLine(p, 0)).toBe(ttyLine(p, 80));
  });

  it('bar: filled share of the cells', () => {
    expect(bar(0, 4)).toBe('[....]');
    expect(bar(50, 4)).toBe('[##..]');
    expect(bar(100, 4)).toBe('[####]');
    expect(bar(150, 4)).toBe('[####]');
  });
});

describe('ProgressReporter', () => {
  it('not a TTY: a plain line at once, then at most one every 5 s, and a final one with the last counts', () => {
    const { writes, stream, clock } = recorder(false);
    const r = new ProgressReporter(stream, { now: clock.now });
    r.update(snap(10, 1000, 100));
    expect(writes).toEqual([plainLine(snap(10, 1000, 100))]);
    for (let t = 500; t < PLAIN_INTERVAL_MS; t += 500) {
      clock.set(t);
      r.update(snap(t / 10, 1000, t));
    }
    expect(writes).toHaveLength(1);
    clock.set(PLAIN_INTERVAL_MS);
    r.update(snap(500, 1000, 5000));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe(plainLine(snap(500, 1000, 5000)));
    clock.set(7000);
    r.update(snap(1000, 1000, 7000));
    expect(writes).toHaveLength(2);
    r.done();
    expect(writes).toEqual([plainLine(snap(10, 1000, 100)), plainLine(snap(500, 1000, 5000)), plainLine(snap(1000, 1000, 7000))]);
    // no \r, every line ends in a newline
    for (const w of writes) expect(w).toMatch(/^lazytlb: [^\r\n]*\n$/);
    // done is idempotent; nothing after it
    r.done();
    r.update(snap(1000, 1000, 8000));
    expect(writes).toHaveLength(3);
  });

  it('not a TTY: no final line when the last counts were shown, nothing without any update', () => {
    const a = recorder(false);
    const r = new ProgressReporter(a.stream, { now: a.clock.now });
    r.update(snap(1000, 1000, 100));
    r.done();
    expect(a.writes).toHaveLength(1);
    const b = recorder(false);
    new ProgressReporter(b.stream, { now: b.clock.now }).done();
    expect(b.writes).toEqual([]);
  });

  it('a TTY: one line rewritten with \\r (throttled), cut to the width, ended by done', () => {
    const { writes, stream, clock } = recorder(true, 60);
    const r = new ProgressReporter(stream, { now: clock.now, ttyIntervalMs: 100 });
    r.update(snap(10, 1000, 100));
    clock.set(50);
    r.update(snap(20, 1000, 150)); // within 100 ms: not drawn
    clock.set(100);
    r.update(snap(30, 1000, 200));
    clock.set(120);
    r.update(snap(1000, 1000, 300));
    r.done();
    expect(writes).toEqual([
      `\r${ttyLine(snap(10, 1000, 100), 60)}\x1b[K`,
      `\r${ttyLine(snap(30, 1000, 200), 60)}\x1b[K`,
      `\r${ttyLine(snap(1000, 1000, 300), 60)}\x1b[K`,
      '\n',
    ]);
    for (const w of writes.slice(0, -1)) expect(w.length - '\r\x1b[K'.length).toBeLessThanOrEqual(59);
    expect(writes[2]).toContain('ETA 0:00:00');
  });

  it('a TTY reads its width at every redraw (a resized terminal)', () => {
    const { writes, stream, clock } = recorder(true, 200);
    const r = new ProgressReporter(stream, { now: clock.now });
    r.update(snap(10, 1000, 100));
    stream.columns = 30;
    clock.set(1000);
    r.update(snap(20, 1000, 200));
    r.done();
    expect(writes[0]).toBe(`\r${ttyLine(snap(10, 1000, 100), 200)}\x1b[K`);
    expect(writes[1]).toBe(`\r${ttyLine(snap(20, 1000, 200), 30)}\x1b[K`);
    expect(writes[1]!.length - 4).toBeLessThanOrEqual(29);
  });

  it('a resumed sweep: rates and ETA over the runs of this process', () => {
    const { writes, stream, clock } = recorder(false);
    const r = new ProgressReporter(stream, { now: clock.now, baseRuns: 500 });
    r.update(snap(750, 1000, 10_000));
    expect(writes[0]).toContain('750/1,000 runs (75.0%), ETA 0:00:10, 25 runs/s');
  });

  it('only reads the snapshots: they are not changed', () => {
    const { stream, clock } = recorder(true, 80);
    const r = new ProgressReporter(stream, { now: clock.now });
    const p = Object.freeze(snap(5, 10, 1000));
    r.update(p);
    r.done();
    expect(p).toEqual(snap(5, 10, 1000));
  });
});
