/**
 * The exploration variants `lazytlb mutants` tries on every cell (`--strategies LIST`): an
 * explorer strategy, optionally with swarm testing (core's workload param `swarm`).
 *
 *   random | pct:D                 the explorer strategy
 *   swarm[=P]+STRATEGY             that strategy on a swarm workload (each run keeps each op
 *                                  kind and feature class with probability P, default 0.5)
 *   swarm[=P]                      swarm+random
 */
import { type StrategySpec, WorkloadParams, parseStrategy, strategyToString } from '@lazytlb/core';
import { usageError } from '../errors/lazytlb-error.js';

export interface Variant {
  /** Canonical label: "random", "pct:3", "swarm+pct:3", "swarm=0.75+random". */
  readonly label: string;
  readonly strategy: StrategySpec;
  /** Swarm probability, when swarm testing is on. */
  readonly swarm?: number;
}

export const DEFAULT_SWARM = 0.5;

/** Whether this @lazytlb/core has the `swarm` workload parameter. */
export function swarmAvailable(): boolean {
  return 'swarm' in (WorkloadParams as unknown as { shape: Record<string, unknown> }).shape;
}

/** The default variants: random, PCT depth 1..3, and PCT(3) with swarm testing when core has it. */
export function defaultVariants(): Variant[] {
  const list = ['random', 'pct:1', 'pct:2', 'pct:3'];
  if (swarmAvailable()) list.push('swarm+pct:3');
  return list.map(parseVariant);
}

function label(strategy: StrategySpec, swarm: number | undefined): string {
  const s = strategyToString(strategy);
  if (swarm === undefined) return s;
  return `${swarm === DEFAULT_SWARM ? 'swarm' : `swarm=${swarm}`}+${s}`;
}

export function parseVariant(text: string): Variant {
  const t = text.trim();
  const m = /^swarm(?:=([0-9.]+))?(?:\+(.+))?$/.exec(t);
  let swarm: number | undefined;
  let rest = t;
  if (m !== null) {
    if (!swarmAvailable()) throw usageError(`--strategies ${t}: this @lazytlb/core has no swarm workload parameter`);
    swarm = m[1] !== undefined ? Number(m[1]) : DEFAULT_SWARM;
    if (!(swarm > 0 && swarm <= 1)) throw usageError(`--strategies ${t}: the swarm probability must be in (0, 1]`);
    rest = m[2] ?? 'random';
  }
  let strategy: StrategySpec;
  if (/^exhaustive(:|$)/.test(rest)) {
    // A portfolio member races the others in runs to kill; an exhaustive search has no runs to count.
    throw usageError(
      `--strategies ${t}: the mutants portfolio takes "random" or "pct:D" (runs to kill); search a mutation exhaustively with lazytlb sweep --mutation ID --strategy ${rest}`,
    );
  }
  try {
    strategy = parseStrategy(rest);
  } catch {
    throw usageError(
      `--strategies ${t}: invalid strategy "${rest}": expected "random" or "pct:D" with D in 1..16, optionally prefixed by "swarm+" or "swarm=P+"`,
    );
  }
  return { label: label(strategy, swarm), strategy, ...(swarm !== undefined ? { swarm } : {}) };
}

/** A comma-separated (or repeated) --strategies value. */
export function parseVariants(values: readonly string[] | undefined): Variant[] {
  const items = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (items.length === 0) return defaultVariants();
  const out: Variant[] = [];
  for (const item of items) {
    const v = parseVariant(item);
    if (out.some((o) => o.label === v.label)) throw usageError(`--strategies: ${v.label} is given twice`);
    out.push(v);
  }
  return out;
}
