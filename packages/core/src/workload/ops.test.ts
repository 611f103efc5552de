import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../machine/constants.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import { thrown } from '../test-support/thrown.js';
import { type ExplicitWorkloadInput, NAME_PATTERN, WorkloadError } from './explicit.js';
import { canonicalOpWord, decodeOp, encodeOp, formatOp, OP_WORDS, type OpWord, parseOp, type WorkloadOp } from './ops.js';

const NCPU = 4;
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,6}$/);
const cpu = fc.integer({ min: 0, max: C.MAX_CPUS - 1 });

/** Every op the string grammar can write (no lossy forms), with arbitrary names and CPUs. */
const stringOp: fc.Arbitrary<WorkloadOp> = fc.oneof(
  fc.constantFrom(
    ...(
      [
        'run',
        'kwork',
        'yield',
        'exec',
        'kernel_execve',
        'exit',
        'kthread_use_mm',
        'kthread_unuse_mm',
        'mremap',
        'membarrier_register',
        'membarrier',
        'text_poke',
        'io_ring_exit',
        'suspend',
        'cpuhp',
      ] as const
    ).map((op) => ({ op }) as WorkloadOp),
    { op: 'munmap' } as WorkloadOp,
    { op: 'munmap', freedTables: true } as WorkloadOp,
    { op: 'munmap', all: true } as WorkloadOp,
    { op: 'sleep' } as WorkloadOp,
    { op: 'membarrier_register', andCommand: true } as WorkloadOp,
  ),
  cpu.map((c): WorkloadOp => ({ op: 'sleep', cpu: c })),
  fc.tuple(fc.constantFrom('migrate', 'cpu_up'), cpu).map(([op, c]) => ({ op, cpu: c }) as WorkloadOp),
  fc.tuple(fc.constantFrom('clone', 'fork', 'use_mm_setup', 'cpu_down'), name).map(([op, task]) => ({ op, task }) as WorkloadOp),
  fc.tuple(name, name).map(([ioWorker, exitWorker]): WorkloadOp => ({ op: 'io_uring_setup', ioWorker, exitWorker })),
  fc.tuple(fc.constantFrom('khugepaged', 'reclaim'), name).map(([op, mm]) => ({ op, mm }) as WorkloadOp),
);

/**
 * A workload in which task A (on CPU 1) runs `op` and every op is valid if its arguments
 * name what exists: user tasks U1 and U2 (unstarted), kthreads W1 (unstarted), RX (the
 * ring's exit kworker), H (a cpuhp thread on CPU 2), mm "m".
 */
function contextFor(opWord: string, op: string): { w: ExplicitWorkloadInput; runner: number } {
  const kthread = [
    'kernel_execve',
    'kthread_use_mm',
    'kthread_unuse_mm',
    'khugepaged',
    'reclaim',
    'suspend',
    'cpu_down',
    'cpu_up',
    'io_ring_exit',
    'cpuhp',
  ].includes(op);
  const runner = kthread
    ? {
        name: 'A',
        kind: 'kthread' as const,
        cpu: 1,
        ...(op === 'io_ring_exit' || op === 'cpuhp' ? { unstarted: true } : {}),
        program: [opWord, ...(op === 'kthread_use_mm' ? ['kthread_unuse_mm'] : [])],
      }
    : { name: 'A', kind: 'user' as const, cpu: 1, mm: 'm', program: [opWord] };
  return {
    w: {
      tasks: [
        runner,
        { name: 'B', kind: 'user', cpu: 0, mm: 'm', program: ['run'] },
        { name: 'U1', kind: 'user', cpu: 0, unstarted: true, program: ['run'] },
        { name: 'U2', kind: 'user', cpu: 3, unstarted: true, program: ['run'] },
        { name: 'W1', kind: 'kthread', cpu: 0, unstarted: true, program: ['kwork'] },
        { name: 'RX', kind: 'kthread', cpu: 0, unstarted: true, program: ['io_ring_exit'] },
        { name: 'H', kind: 'kthread', cpu: 2, unstarted: true, program: ['cpuhp'] },
      ],
    },
    runner: NCPU,
  };
}

/** The loader's first word for task A's op, or its error. */
function loaderWord(opWord: string): { word: number } | { error: string } {
  const op = opWord.trim().split(/\s+/)[0]!;
  const { w, runner } = contextFor(opWord, op);
  let sim: Simulator;
  try {
    sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: NCPU, workload: { explicit: w } });
  } catch (e) {
    if (!(e instanceof WorkloadError)) throw e;
    return { error: e.message };
  }
  sim.begin([1, 2, 3, 4]);
  return { word: sim.k.prog[sim.k.taskPc[runner]!]! };
}

/** Ids of the context's names (tasks after the idle ones; mm "m" is mm 1, the first allocated). */
const CONTEXT_REFS = {
  cpu: 1,
  taskId: (n: string) => {
    const i = ['A', 'B', 'U1', 'U2', 'W1', 'RX', 'H'].indexOf(n);
    if (i < 0) throw new Error(`no task ${n}`);
    return NCPU + i;
  },
  mmId: (n: string) => {
    if (n !== 'm') throw new Error(`no mm ${n}`);
    return 1;
  },
};

describe('parseOp / formatOp', () => {
  it('string -> op -> string is the identity on canonical strings, and op -> string -> op on ops', () => {
    fc.assert(
      fc.property(stringOp, (op) => {
        const s = formatOp(op);
        expect(parseOp(s)).toEqual(op);
        expect(formatOp(parseOp(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('covers every op word of the grammar (OP_WORDS), and the loader lists the same ops as parseOp', () => {
    const seen = new Set<OpWord>();
    fc.assert(
      fc.property(stringOp, (op) => void seen.add(formatOp(op).split(' ')[0] as OpWord)),
      { numRuns: 3000 },
    ); // 1 in ~96 runs draws a given constant: enough runs that none is missed
    expect([...seen].sort()).toEqual([...OP_WORDS].sort());
    const loaderMsg = (loaderWord('frobnicate') as { error: string }).error;
    const parseMsg = thrown(() => parseOp('frobnicate')).message;
    expect(loaderMsg.slice(loaderMsg.indexOf('Allowed:'))).toBe(parseMsg.slice(parseMsg.indexOf('Allowed:')));
  });

  it('agrees with the explicit-workload loader on every string: what it compiles parses to an op that encodes to its word, what parseOp refuses it refuses', () => {
    const token = fc.oneof(
      fc.constantFrom(...OP_WORDS, 'Run', 'munmap-all', ''),
      fc.constantFrom('freed-tables', 'all', 'A', 'B', 'U1', 'U2', 'W1', 'RX', 'H', 'm', 'nope', '1x', 'x.y'),
      fc.constantFrom('0', '1', '2', '3', '4', '-0', '0x1', '1e0', '1.0', '+2', '-1', '1.5', 'NaN'),
      name,
    );
    const text = fc
      .tuple(fc.constantFrom(...OP_WORDS), fc.array(token, { maxLength: 3 }), fc.constantFrom(' ', '  ', '\t'), fc.boolean())
      .map(([op, args, sep, pad]) => (pad ? ' ' : '') + [op, ...args].join(sep) + (pad ? ' ' : ''));
    let compiled = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          fc.tuple(token, token).map(([a, b]) => `${a} ${b}`),
        ),
        (s) => {
          const loader = loaderWord(s);
          let parsed: WorkloadOp | null = null;
          try {
            parsed = parseOp(s);
          } catch (e) {
            expect(e).toBeInstanceOf(WorkloadError);
          }
          if ('word' in loader) {
            compiled++;
            expect(parsed).not.toBeNull();
            expect(encodeOp(parsed!, CONTEXT_REFS)).toBe(loader.word);
            // The canonical string compiles to the same word.
            expect(loaderWord(formatOp(parsed!))).toEqual(loader);
          } else if (parsed === null) {
            expect(loader.error).toBeTruthy();
          }
        },
      ),
      { numRuns: 1500 },
    );
    expect(compiled).toBeGreaterThan(400);
  });

  it('is as lenient as the loader: whitespace, words past the arguments, CPU numbers Number() reads', () => {
    expect(parseOp('  run  ')).toEqual({ op: 'run' });
    expect(parseOp('run now')).toEqual({ op: 'run' });
    expect(parseOp('munmap all  of it')).toEqual({ op: 'munmap', all: true });
    expect(parseOp('sleep')).toEqual({ op: 'sleep' });
    expect(formatOp(parseOp('sleep 0x2'))).toBe('sleep 2');
    expect(formatOp(parseOp('migrate -0'))).toBe('migrate 0');
    expect(formatOp(parseOp('io_uring_setup\tIO  RX extra'))).toBe('io_uring_setup IO RX');
  });

  it.each([
    ['', 'unknown op ""'],
    ['Run', 'unknown op "Run"'],
    ['munmap some', '"munmap some": munmap takes nothing, "freed-tables" or "all"'],
    ['migrate', '"migrate" needs a CPU number (0..31)'],
    ['sleep 1.5', '"sleep 1.5" needs a CPU number (0..31)'],
    ['cpu_up 32', '"cpu_up 32" needs a CPU number (0..31)'],
    ['fork', '"fork" needs the name of a task'],
    ['clone 1x', '"clone 1x" needs the name of a task'],
    ['io_uring_setup IO', '"io_uring_setup IO" needs the name of the exit kworker'],
    ['khugepaged', '"khugepaged" needs the name of an mm'],
  ])('refuses %j: %s', (s, msg) => {
    const e = thrown(() => parseOp(s));
    expect(e).toBeInstanceOf(WorkloadError);
    expect(e.message.startsWith(msg)).toBe(true);
  });

  it('writes membarrier_register with its command as membarrier_register_and_command (it compiles to the generated word); plain membarrier_register still loads as before', () => {
    expect(formatOp({ op: 'membarrier_register', andCommand: true })).toBe('membarrier_register_and_command');
    expect(formatOp({ op: 'membarrier_register', andCommand: true }, { lossy: true })).toBe('membarrier_register_and_command');
    expect(formatOp({ op: 'membarrier_register', andCommand: false })).toBe('membarrier_register');
    expect(parseOp(' membarrier_register_and_command ')).toEqual({ op: 'membarrier_register', andCommand: true });
    expect(parseOp('membarrier_register')).toEqual({ op: 'membarrier_register' });
    expect(loaderWord('membarrier_register_and_command')).toEqual({ word: C.OP_MEMBARRIER_REGISTER | (C.MEMBARRIER_AND_COMMAND << C.OP_SHIFT) });
    expect(loaderWord('membarrier_register')).toEqual({ word: C.OP_MEMBARRIER_REGISTER });
  });

  it('refuses ops with no string form unless lossy, and ops whose arguments would not read back', () => {
    expect(thrown(() => formatOp({ op: 'munmap', all: true, freedTables: true })).message).toMatch(/has no string form/);
    expect(formatOp({ op: 'munmap', all: true, freedTables: true }, { lossy: true })).toBe('munmap all');
    expect(formatOp({ op: 'munmap', all: false, freedTables: false })).toBe('munmap');
    expect(thrown(() => formatOp({ op: 'fork', task: 'two words' })).message).toMatch(/is not a task or mm name/);
    expect(thrown(() => formatOp({ op: 'sleep', cpu: -1 })).message).toMatch(/cpu must be an integer/);
    expect(NAME_PATTERN.test('T5')).toBe(true);
  });
});

describe('encodeOp / decodeOp', () => {
  const names = { task: (id: number) => `t${id}`, mm: (id: number) => `mm${id}` };
  const refs = { cpu: 3, taskId: (n: string) => Number(n.slice(1)), mmId: (n: string) => Number(n.slice(2)) };
  const id = fc.integer({ min: 0, max: C.OP_PAIR_MASK });

  it("decode(encode(op)) is the op (a bare sleep gets the task's CPU), for every op including those with no string form", () => {
    const op: fc.Arbitrary<WorkloadOp> = fc.oneof(
      stringOp.filter((o) => !('task' in o) && !('ioWorker' in o) && !('mm' in o)),
      fc.constantFrom<WorkloadOp>({ op: 'munmap', freedTables: true, all: true }),
      fc.tuple(fc.constantFrom('clone', 'fork', 'use_mm_setup', 'cpu_down'), id).map(([o, t]) => ({ op: o, task: `t${t}` }) as WorkloadOp),
      fc.tuple(id, id).map(([a, b]): WorkloadOp => ({ op: 'io_uring_setup', ioWorker: `t${a}`, exitWorker: `t${b}` })),
      fc.tuple(fc.constantFrom('khugepaged', 'reclaim'), fc.integer({ min: 0, max: 100_000 })).map(([o, m]) => ({ op: o, mm: `mm${m}` }) as WorkloadOp),
    );
    fc.assert(
      fc.property(op, (o) => {
        const back = decodeOp(encodeOp(o, refs), names);
        expect(back).toEqual(o.op === 'sleep' && o.cpu === undefined ? { op: 'sleep', cpu: 3 } : o);
      }),
      { numRuns: 2000 },
    );
  });

  it('encode(decode(word)) is canonicalOpWord(word) for every opcode and argument; canonicalOpWord is idempotent', () => {
    const word = fc
      .tuple(fc.integer({ min: 1, max: C.OP_NAMES.length - 1 }), fc.integer({ min: 0, max: (1 << 20) - 1 }))
      .map(([op, arg]) => op | (arg << C.OP_SHIFT));
    fc.assert(
      fc.property(word, (w) => {
        const c = canonicalOpWord(w);
        expect(encodeOp(decodeOp(w, names), refs)).toBe(c);
        expect(canonicalOpWord(c)).toBe(c);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses an unknown opcode and ids that do not fit', () => {
    expect(thrown(() => decodeOp(99, names)).message).toBe('op word 99: unknown opcode 99');
    expect(thrown(() => encodeOp({ op: 'io_uring_setup', ioWorker: 't1024', exitWorker: 't1' }, refs)).message).toMatch(/does not fit io_uring_setup's pair/);
    expect(thrown(() => encodeOp({ op: 'fork', task: 't-1' }, refs)).message).toMatch(/does not fit an op word/);
  });
});
