import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand, parseCommand, parseScript, ScriptSyntaxError, type Command } from './script.js';

describe('parseScript', () => {
  it('parses every command form, with comments and blank lines', () => {
    const cmds = parseScript(`
      # CPU1 goes lazy first
      CPU1: step
      CPU1: step 3          // three task steps
      CPU0: irq
      CPU0: irq 2
      CPU0: until free_mm
      CPU0: until mmput "mm_users 1->0" within 40  # quoted text may hold "#" or "//":
      CPU0: until munmap "a # b // c"
      CPU1: irq until do_shoot_lazy_tlb
      CPU1: irq until flush_tlb_func within 5
      CPU2: op
      CPU3: idle
      hyp CPU1: preempt
      hyp CPU1: resume
    `);
    expect(cmds).toEqual<Command[]>([
      { kind: 'step', cpu: 1, actor: 'task', count: 1, line: 3 },
      { kind: 'step', cpu: 1, actor: 'task', count: 3, line: 4 },
      { kind: 'step', cpu: 0, actor: 'irq', count: 1, line: 5 },
      { kind: 'step', cpu: 0, actor: 'irq', count: 2, line: 6 },
      { kind: 'until', cpu: 0, actor: 'task', fn: 'free_mm', line: 7 },
      { kind: 'until', cpu: 0, actor: 'task', fn: 'mmput', text: 'mm_users 1->0', within: 40, line: 8 },
      { kind: 'until', cpu: 0, actor: 'task', fn: 'munmap', text: 'a # b // c', line: 9 },
      { kind: 'until', cpu: 1, actor: 'irq', fn: 'do_shoot_lazy_tlb', line: 10 },
      { kind: 'until', cpu: 1, actor: 'irq', fn: 'flush_tlb_func', within: 5, line: 11 },
      { kind: 'op', cpu: 2, line: 12 },
      { kind: 'idle', cpu: 3, line: 13 },
      { kind: 'hyp', cpu: 1, action: 'preempt', line: 14 },
      { kind: 'hyp', cpu: 1, action: 'resume', line: 15 },
    ]);
  });

  it('is lenient about case and spacing of the CPU prefix', () => {
    expect(parseCommand('cpu12 :   step   2')).toEqual({ kind: 'step', cpu: 12, actor: 'task', count: 2 });
    expect(parseCommand('HYP   CPU0:preempt')).toEqual({ kind: 'hyp', cpu: 0, action: 'preempt' });
  });

  it('formatCommand writes the text form back', () => {
    const text = [
      'CPU1: step',
      'CPU1: step 3',
      'CPU0: irq',
      'CPU0: until mmput "1->0" within 9',
      'CPU1: irq until do_shoot_lazy_tlb',
      'CPU2: op',
      'CPU3: idle',
      'hyp CPU1: resume',
    ];
    for (const t of text) expect(formatCommand(parseCommand(t))).toBe(t);
  });

  it('parseCommand(formatCommand(c)) is c for every command (property)', () => {
    const cpu = fc.integer({ min: 0, max: 31 });
    const fnName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.record({ kind: fc.constant('step' as const), cpu, actor: fc.constantFrom('task' as const, 'irq' as const), count: fc.integer({ min: 1, max: 999 }) }),
      fc.record(
        {
          kind: fc.constant('until' as const),
          cpu,
          actor: fc.constantFrom('task' as const, 'irq' as const),
          fn: fnName,
          text: fc.stringMatching(/^[^"\n]{0,12}$/),
          within: fc.integer({ min: 1, max: 9999 }),
        },
        { requiredKeys: ['kind', 'cpu', 'actor', 'fn'] },
      ),
      fc.record({ kind: fc.constantFrom('op' as const, 'idle' as const), cpu }),
      fc.record({ kind: fc.constant('hyp' as const), cpu, action: fc.constantFrom('preempt' as const, 'resume' as const) }),
    );
    fc.assert(
      fc.property(command, (c) => {
        expect(parseScript(formatCommand(c))).toEqual([{ ...c, line: 1 }]);
      }),
    );
  });

  const bad: [string, RegExp][] = [
    ['CPU1 step', /script line 1: "CPU1 step": a command starts with "CPU<n>:"/],
    ['CPU1:', /no command after "CPU1:"/],
    ['CPU1: jump', /script line 1: unknown command "jump"; expected "CPU<n>: step \[count\]"/],
    ['CPU1: step 0', /"0" is not a step count/],
    ['CPU1: step two', /"two" is not a step count/],
    ['CPU1: step 1 2', /"step" takes at most a count, got "1 2"/],
    ['CPU1: irq 2 3', /"irq" takes at most a count/],
    ['CPU1: until', /"until" needs a trace event name/],
    ['CPU1: until "text"', /"until" needs a trace event name/],
    ['CPU1: until free_mm within', /"within" needs a step count/],
    ['CPU1: until free_mm soon', /unexpected "soon" after "until free_mm"/],
    ['CPU1: until free_mm "unterminated', /unterminated quote/],
    ['CPU1: op now', /"op" takes no argument, got "now"/],
    ['CPU1: idle 3', /"idle" takes no argument/],
    ['CPU1: preempt', /"preempt" is a hypervisor action: write "hyp CPU1: preempt"/],
    ['hyp CPU1: step', /the hypervisor can only "preempt" or "resume"/],
  ];
  for (const [line, msg] of bad) {
    it(`rejects ${JSON.stringify(line)} with a clear message`, () => {
      expect(() => parseScript(line)).toThrow(ScriptSyntaxError);
      expect(() => parseScript(line)).toThrow(msg);
    });
  }

  it('names the line of the offending command', () => {
    expect(() => parseScript('CPU0: step\n\n# fine\nCPU1: stpe')).toThrow(/^script line 4: unknown command "stpe"/);
  });
});
