#!/usr/bin/env node
// Truth table of the x86-paravirt plugin (KVM, Hyper-V, Xen PV); same format as x86-native's.
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME]   (after `pnpm build`)
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import plugin from '../dist/index.js';

// x86-native's table printer (a file of the dependency's published `scripts/`).
const require = createRequire(import.meta.url);
const nativeDir = require.resolve('@lazytlb/arch-x86-native/package.json').replace(/package\.json$/, '');
const { parseArgs, printTable } = await import(pathToFileURL(`${nativeDir}scripts/truth-table.mjs`).href);

printTable(
  'x86-paravirt truth table',
  plugin,
  [
    { backend: 'kvm' },
    { backend: 'kvm', cpumask: 'clear-on-switch' },
    { backend: 'hyperv' },
    { backend: 'hyperv', nativeFallback: 0.2 },
    { backend: 'hyperv', nativeFallback: 1 },
    { backend: 'xen' },
    { backend: 'xen', cpumask: 'clear-on-switch' },
  ],
  parseArgs(process.argv.slice(2)),
);
