// firstNonFinite: the addon's bit-test scan (kernels/cpu/finite.h, blocks of 64) and the JS loop
// agree on where the first NaN/±Infinity is — at block edges, in the scalar tail, never for the
// finite extremes (±0, subnormals, ±FLT_MAX).
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/addon.js';
import { firstNonFinite } from '../src/finite.js';

const addon = loadAddon().addon;

function jsFirst(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}

describe('firstNonFinite', () => {
  const sizes = [0, 1, 63, 64, 65, 127, 129, 1000, 20000, 70001];
  const extremes = [0, -0, 1e-45, -1e-45, 1.17549435e-38, 3.4028234663852886e38, -3.4028234663852886e38];

  it('finds nothing in finite data, including the extremes', () => {
    for (const n of sizes) {
      const x = new Float32Array(n).map((_, i) => extremes[i % extremes.length]!);
      expect(firstNonFinite(x)).toBe(-1);
      if (addon?.firstNonFinite) expect(addon.firstNonFinite(x)).toBe(-1);
    }
  });

  it('finds the first NaN / Infinity / -Infinity wherever it is', () => {
    for (const n of sizes.filter((s) => s > 0)) {
      const spots = [...new Set([0, 62, 63, 64, 65, Math.floor(n / 2), n - 65, n - 64, n - 1])].filter((i) => i >= 0 && i < n);
      for (const at of spots)
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = new Float32Array(n).fill(1.5);
          x[at] = bad;
          if (at + 3 < n) x[at + 3] = NaN; // a later one must not win
          expect(firstNonFinite(x)).toBe(at);
          expect(jsFirst(x)).toBe(at);
          if (addon?.firstNonFinite) expect(addon.firstNonFinite(x)).toBe(at);
        }
    }
  });

  it.runIf(addon?.firstNonFinite !== undefined)('the addon refuses anything but a Float32Array', () => {
    expect(() => addon!.firstNonFinite!(new Float64Array(4) as unknown as Float32Array)).toThrow(/Float32Array/);
    expect(() => (addon!.firstNonFinite as unknown as (...a: unknown[]) => number)()).toThrow(/1 argument/);
  });
});
