// Demo step: which backend runs, and its GEMM checked against the js reference.
import { getBackend, tryBackend } from '../../backend/registry.js';
import { Tensor } from '../../tensor.js';
import { gatherInfo } from '../commands/info.js';
import type { DemoStep } from './context.js';

export const backendStep: DemoStep = {
  name: 'backend',
  async run(ctx) {
    const info = gatherInfo();
    ctx.log(`backend: ${info.backend} (${info.backends.filter((b) => b.available).map((b) => b.name).join(', ')} available)`);
    const a = Tensor.randn([256, 784], 1);
    const b = Tensor.randn([784, 512], 2);
    const c = new Float32Array(256 * 512);
    const ref = new Float32Array(256 * 512);
    const t0 = performance.now();
    getBackend().gemm(256, 512, 784, a.data, b.data, c);
    const ms = performance.now() - t0;
    tryBackend('js')!.gemm(256, 512, 784, a.data, b.data, ref);
    let maxErr = 0;
    for (let i = 0; i < c.length; i++) maxErr = Math.max(maxErr, Math.abs(c[i]! - ref[i]!));
    ctx.log(`GEMM 256×784 · 784×512 on '${getBackend().name}': ${ms.toFixed(2)} ms, max |diff| vs js reference ${maxErr.toExponential(2)}`);
    ctx.results.backend = { name: info.backend, gemmMs: ms, gemmMaxDiff: maxErr };
  },
};
