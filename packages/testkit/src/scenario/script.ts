/**
 * The scenario script: per-CPU step commands, written the way LKML mails write
 * interleavings ("CPU1: ... ; CPU0: ..."). A script is a list of lines, one command each:
 *
 *     CPU<n>: step [<count>]            take <count> (default 1) steps of CPU n's task actor
 *     CPU<n>: irq [<count>]             take interrupt steps (an IPI, a wakeup, a tick)
 *     CPU<n>: until <fn> ["text"] [within <max>]
 *                                       task steps until a trace event <fn> happens on CPU n
 *     CPU<n>: irq until <fn> ["text"] [within <max>]
 *                                       the same with interrupt steps
 *     CPU<n>: drain [<count>]           (memory: tso) the oldest buffered store(s) of CPU n become visible
 *     CPU<n>: op                        run until the current op (or context switch) finished
 *     CPU<n>: idle                      run until CPU n idles with nothing left to do
 *     hyp CPU<n>: preempt | resume      the hypervisor preempts / resumes vCPU n
 *
 * `#` and `//` start comments (outside double quotes); blank lines are ignored. The builder API
 * (`scenario.cpu(1).until('free_mm')`) produces the same {@link Command} objects, so both
 * forms share one executor.
 */

/** Which actor of a CPU takes the steps (core: actor = cpu * ACTORS_PER_CPU + 0 task / 1 irq / 2 hyp / 3 drain). */
export type StepActor = 'task' | 'irq' | 'drain';

interface CommandBase {
  readonly cpu: number;
  /** Script line (1-based) the command came from, for error messages. */
  readonly line?: number;
}

export type Command =
  | (CommandBase & { readonly kind: 'step'; readonly actor: StepActor; readonly count: number })
  | (CommandBase & {
      readonly kind: 'until';
      readonly actor: StepActor;
      /** Trace event name (`TraceEvent.fn`), e.g. "free_mm", "context_switch", "do_shoot_lazy_tlb". */
      readonly fn: string;
      /** Also require the event text to contain this string / match this pattern (scenario names). */
      readonly text?: string | RegExp;
      /** Step bound (default: the scenario's maxSteps). */
      readonly within?: number;
    })
  | (CommandBase & { readonly kind: 'op' })
  | (CommandBase & { readonly kind: 'idle' })
  | (CommandBase & { readonly kind: 'hyp'; readonly action: 'preempt' | 'resume' });

export class ScriptSyntaxError extends Error {
  override name = 'ScriptSyntaxError';
}

const USAGE =
  'expected "CPU<n>: step [count]", "CPU<n>: irq [count]", "CPU<n>: drain [count]", "CPU<n>: [irq] until <fn> [\\"text\\"] [within <max>]", ' +
  '"CPU<n>: op", "CPU<n>: idle" or "hyp CPU<n>: preempt|resume"';

function count(word: string | undefined, where: string): number {
  if (word === undefined) return 1;
  if (!/^[1-9][0-9]*$/.test(word)) throw new ScriptSyntaxError(`${where}: "${word}" is not a step count (a positive integer)`);
  return Number(word);
}

/** Split a command into words; a double-quoted string is one word (its quotes kept). */
function words(text: string, where: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[2]?.includes('"')) throw new ScriptSyntaxError(`${where}: unterminated quote in "${text}"`);
    out.push(m[1] !== undefined ? `"${m[1]}"` : m[2]!);
  }
  return out;
}

function parseUntil(cpu: number, actor: StepActor, rest: string[], where: string): Command {
  const [fn, ...more] = rest;
  if (fn === undefined || fn.startsWith('"')) throw new ScriptSyntaxError(`${where}: "until" needs a trace event name, e.g. "until free_mm"`);
  let text: string | undefined;
  let within: number | undefined;
  let i = 0;
  if (more[i]?.startsWith('"') === true) text = more[i++]!.slice(1, -1);
  if (more[i] === 'within') {
    if (more[i + 1] === undefined) throw new ScriptSyntaxError(`${where}: "within" needs a step count`);
    within = count(more[i + 1], where);
    i += 2;
  }
  if (i < more.length) throw new ScriptSyntaxError(`${where}: unexpected "${more.slice(i).join(' ')}" after "until ${fn}"`);
  return { kind: 'until', cpu, actor, fn, ...(text !== undefined ? { text } : {}), ...(within !== undefined ? { within } : {}) };
}

/** Parse one command line (without comments). `where` prefixes error messages. */
export function parseCommand(line: string, where = 'script'): Command {
  const m = /^\s*(hyp\s+)?CPU(\d+)\s*:\s*(.*?)\s*$/i.exec(line);
  if (m === null) throw new ScriptSyntaxError(`${where}: "${line.trim()}": a command starts with "CPU<n>:" (or "hyp CPU<n>:"); ${USAGE}`);
  const hyp = m[1] !== undefined;
  const cpu = Number(m[2]);
  const w = words(m[3]!, where);
  const [verb, ...rest] = w;
  if (verb === undefined) throw new ScriptSyntaxError(`${where}: "${line.trim()}" has no command after "CPU${cpu}:"; ${USAGE}`);
  if (hyp) {
    if ((verb === 'preempt' || verb === 'resume') && rest.length === 0) return { kind: 'hyp', cpu, action: verb };
    throw new ScriptSyntaxError(`${where}: "${line.trim()}": the hypervisor can only "preempt" or "resume" a vCPU`);
  }
  const noArgs = (name: string): void => {
    if (rest.length > 0) throw new ScriptSyntaxError(`${where}: "${name}" takes no argument, got "${rest.join(' ')}"`);
  };
  switch (verb) {
    case 'step':
      if (rest.length > 1) throw new ScriptSyntaxError(`${where}: "step" takes at most a count, got "${rest.join(' ')}"`);
      return { kind: 'step', cpu, actor: 'task', count: count(rest[0], where) };
    case 'irq':
      if (rest[0] === 'until') return parseUntil(cpu, 'irq', rest.slice(1), where);
      if (rest.length > 1) throw new ScriptSyntaxError(`${where}: "irq" takes at most a count, got "${rest.join(' ')}"`);
      return { kind: 'step', cpu, actor: 'irq', count: count(rest[0], where) };
    case 'drain':
      if (rest.length > 1) throw new ScriptSyntaxError(`${where}: "drain" takes at most a count, got "${rest.join(' ')}"`);
      return { kind: 'step', cpu, actor: 'drain', count: count(rest[0], where) };
    case 'until':
      return parseUntil(cpu, 'task', rest, where);
    case 'op':
      noArgs('op');
      return { kind: 'op', cpu };
    case 'idle':
      noArgs('idle');
      return { kind: 'idle', cpu };
    case 'preempt':
    case 'resume':
      throw new ScriptSyntaxError(`${where}: "${verb}" is a hypervisor action: write "hyp CPU${cpu}: ${verb}"`);
    default:
      throw new ScriptSyntaxError(`${where}: unknown command "${verb}"; ${USAGE}`);
  }
}

/** The line without its comment (`#` or `//` outside double quotes). */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '#' || (ch === '/' && line[i + 1] === '/'))) return line.slice(0, i);
  }
  return line;
}

/** Parse a whole script; errors name the line (1-based) and say what is allowed. */
export function parseScript(text: string): Command[] {
  const out: Command[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw);
    if (line.trim() === '') return;
    out.push({ ...parseCommand(line, `script line ${i + 1}`), line: i + 1 });
  });
  return out;
}

/** The text form of a command (used in messages and to show which command failed). */
export function formatCommand(c: Command): string {
  switch (c.kind) {
    case 'step':
      return `CPU${c.cpu}: ${c.actor === 'irq' ? 'irq' : c.actor === 'drain' ? 'drain' : 'step'}${c.count !== 1 ? ` ${c.count}` : ''}`;
    case 'until': {
      const text = c.text === undefined ? '' : typeof c.text === 'string' ? ` "${c.text}"` : ` ${String(c.text)}`;
      return `CPU${c.cpu}: ${c.actor === 'irq' ? 'irq ' : ''}until ${c.fn}${text}${c.within !== undefined ? ` within ${c.within}` : ''}`;
    }
    case 'op':
    case 'idle':
      return `CPU${c.cpu}: ${c.kind}`;
    case 'hyp':
      return `hyp CPU${c.cpu}: ${c.action}`;
  }
}
