/** `lazytlb arches`: the installed arch plugins with their option schemas. */
import { MEMORY_MODELS, type MemoryModel, memoryModelRefusal } from '@lazytlb/core';
import { z } from 'zod';
import type { PluginRegistry, PluginSource } from '@lazytlb/explore';

export interface ArchOptionInfo {
  readonly name: string;
  /** e.g. `"lazy-trim" | "clear-on-switch"`, `boolean`, `integer 1..1000000`. */
  readonly type: string;
  readonly default?: unknown;
  readonly description?: string;
}

export interface ArchInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** "bundled (@lazytlb/arch-x86-native)", "--plugin ./my-arch.js", "package lazytlb-arch-foo". */
  readonly source: string;
  readonly maxCpus: number;
  readonly vcpuPreemption: boolean;
  /** The memory models it runs under (`sweep --memory`; core's memoryModelRefusal). */
  readonly memoryModels: readonly MemoryModel[];
  readonly options: readonly ArchOptionInfo[];
  /** The options' JSON Schema (zod 4 z.toJSONSchema), when it can be produced. */
  readonly optionsJsonSchema?: unknown;
}

export function sourceText(s: PluginSource): string {
  return s.kind === 'bundled' ? `bundled (${s.module})` : s.kind === 'path' ? `--plugin ${s.path}` : `package ${s.module}`;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}

function typeText(s: JsonSchema): string {
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf !== undefined) return s.anyOf.map(typeText).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  if ((t === 'integer' || t === 'number') && (s.minimum !== undefined || s.maximum !== undefined)) return `${t} ${s.minimum ?? ''}..${s.maximum ?? ''}`;
  return t;
}

/** Describe a zod options schema as a list of options (via JSON Schema). */
export function describeOptions(schema: unknown): { options: ArchOptionInfo[]; jsonSchema?: unknown } {
  let js: JsonSchema;
  try {
    js = z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    const shape = (schema as { shape?: Record<string, unknown> }).shape ?? {};
    return { options: Object.keys(shape).map((name) => ({ name, type: 'unknown' })) };
  }
  const options = Object.entries(js.properties ?? {}).map(([name, p]) => {
    const o: { name: string; type: string; default?: unknown; description?: string } = { name, type: typeText(p) };
    if (p.default !== undefined) o.default = p.default;
    if (p.description !== undefined) o.description = p.description;
    return o;
  });
  return { options, jsonSchema: js };
}

/** Every arch the registry knows: bundled, --plugin paths (scheme plugins are listed by `lazytlb schemes`) and installed @lazytlb/arch-* packages. */
export async function listArches(registry: PluginRegistry): Promise<ArchInfo[]> {
  const names = await registry.availableArchNames();
  const out: ArchInfo[] = [];
  const seen = new Set<string>();
  for (const n of names) {
    let loaded;
    try {
      loaded = await registry.archWithSource(n);
    } catch {
      continue;
    }
    const { plugin, source } = loaded;
    if (seen.has(plugin.name)) continue;
    seen.add(plugin.name);
    const d = describeOptions(plugin.options);
    out.push({
      name: plugin.name,
      version: plugin.version,
      description: plugin.description,
      source: sourceText(source),
      maxCpus: plugin.capabilities.maxCpus,
      vcpuPreemption: plugin.capabilities.vcpuPreemption,
      memoryModels: MEMORY_MODELS.filter((m) => memoryModelRefusal(plugin, m) === null),
      options: d.options,
      ...(d.jsonSchema !== undefined ? { optionsJsonSchema: d.jsonSchema } : {}),
    });
  }
  return out;
}

/** Human-readable listing for `lazytlb arches`. */
export function formatArches(arches: readonly ArchInfo[]): string {
  const lines: string[] = [];
  for (const a of arches) {
    lines.push(`${a.name} ${a.version}  — ${a.source}`);
    lines.push(`  ${a.description}`);
    lines.push(`  max CPUs ${a.maxCpus}${a.vcpuPreemption ? ', vCPU preemption' : ''}, memory models ${a.memoryModels.join(', ')}`);
    if (a.options.length === 0) lines.push('  options: none');
    else lines.push('  options:');
    for (const o of a.options) {
      lines.push(`    ${o.name}: ${o.type}${o.default !== undefined ? ` = ${JSON.stringify(o.default)}` : ''}`);
      if (o.description !== undefined) lines.push(`      ${o.description}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
