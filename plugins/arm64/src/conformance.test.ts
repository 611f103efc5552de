import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin, { ARM64_USE_SITES, createArm64Hooks } from './index.js';
import { Arm64Options } from './options.js';

describeArchConformance(
  plugin,
  { describe, it, expect },
  {
    // asidBits 3: 7 usable ASIDs, so the workloads roll the generation over (flush_context)
    archOptions: [{}, { asidBits: 3 }, { asidBits: 16 }, { swPan: true }, { swPan: true, asidBits: 3 }, { deepIdle: 'retention' }],
    invalidOptions: [{ asidBits: 2 }, { asidBits: 17 }, { asidBits: 8.5 }, { asidBits: '8' }, { swPan: 'yes' }, { deepIdle: 'wfi' }],
  },
);

// SW TTBR0 PAN: no lazy CPU holds a user pgd, so shoot-lazies over every online CPU is clean too
// (with hardware PAN exec_mmap's IRQs-on window still breaks it: shootdown-online.test.ts).
describe('SW PAN with shootdown:mask=online', () => {
  describeArchConformance(
    plugin,
    { describe, it, expect },
    {
      archOptions: [{ swPan: true }],
      cleanSchemes: ['refcount', 'shootdown'],
      schemeOptions: { shootdown: { mask: 'online' } },
    },
  );
});

describe('arm64 descriptor', () => {
  it("declares its use sites (ids distinct from the core's), one per kernel function", () => {
    expect(plugin.useSites).toBe(ARM64_USE_SITES);
    expect(ARM64_USE_SITES.map((u) => u.id)).toEqual([
      'switch_mm (prev != next)',
      'activate_mm (prev != next)',
      'kthread_use_mm (prev != next)',
      'cpu_uninstall_idmap',
      'efi_virtmap_unload',
    ]);
    for (const u of ARM64_USE_SITES) expect(u.source).toMatch(/@ Kingxukai\/linux [0-9a-f]{12}/);
  });

  it("has no cpu_disable hook: arm64's __cpu_disable() does not call clear_tasks_mm_cpumask() (removed by 38d96287504a)", () => {
    const hooks = createArm64Hooks(Arm64Options.parse({}));
    expect(hooks.cpu_disable).toBeUndefined();
    expect(typeof hooks.cpu_idle_deep).toBe('function');
    expect(typeof hooks.use_temporary_mm).toBe('function');
  });

  it('defaults: hardware PAN (no SW TTBR0 PAN), context-losing deep idle, 8-bit ASIDs, IRQs on over activate_mm (as arm64 selects)', () => {
    expect(Arm64Options.parse({})).toEqual({ asidBits: 8, swPan: false, deepIdle: 'powerdown', irqsOffActivateMm: false });
  });
});
