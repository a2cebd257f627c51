// The AVX2 and scalar CPU kernels (GEMM, colStats, SVD loops) on a machine whose best is
// AVX-512: TRIMNET_KERNEL forces one when the addon loads, so each runs in a child process
// (test/helpers/forced-kernel-check.mjs, against the js reference; needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';

const addon = loadAddon().addon;
const features = addon ? addon.info().cpuFeatures : [];
const script = fileURLToPath(new URL('./helpers/forced-kernel-check.mjs', import.meta.url));

const kernels: { name: string; prefix: string; supported: boolean }[] = [
  { name: 'avx2', prefix: 'avx2', supported: features.includes('avx2') && features.includes('fma') },
  { name: 'scalar', prefix: 'scalar', supported: true },
];

describe.runIf(addon !== null)('forced CPU kernels vs js', () => {
  for (const k of kernels) {
    it.runIf(k.supported)(`TRIMNET_KERNEL=${k.name}: gemm, colStats, svd agree with the reference`, () => {
      const r = spawnSync(process.execPath, [script], {
        env: { ...process.env, TRIMNET_KERNEL: k.name },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { kernel: string; checks: number; failures: string[] };
      expect(out.kernel.startsWith(k.prefix)).toBe(true);
      expect(out.checks).toBeGreaterThan(200);
      expect(out.failures).toEqual([]);
    });
  }
});
