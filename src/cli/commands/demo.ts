// `trimnet demo`: the main job on the bundled data. Grows as the issues land; today it shows the
// backends and checks the fastest GEMM against the js reference.
import type { Command } from 'commander';
import { getBackend, tryBackend } from '../../backend/registry.js';
import { Tensor } from '../../tensor.js';
import { gatherInfo } from './info.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the bundled data')
    .action(() => {
      const info = gatherInfo();
      console.log(`trimnet demo — backend: ${info.backend} (${info.backends.filter((b) => b.available).map((b) => b.name).join(', ')} available)`);
      const a = Tensor.randn([256, 784], 1);
      const b = Tensor.randn([784, 512], 2);
      const c = new Float32Array(256 * 512);
      const ref = new Float32Array(256 * 512);
      const t0 = performance.now();
      getBackend().gemm(256, 512, 784, a.data, b.data, c);
      const t1 = performance.now();
      tryBackend('js')!.gemm(256, 512, 784, a.data, b.data, ref);
      let maxErr = 0;
      for (let i = 0; i < c.length; i++) maxErr = Math.max(maxErr, Math.abs(c[i]! - ref[i]!));
      console.log(`GEMM 256×784 · 784×512 on '${getBackend().name}': ${(t1 - t0).toFixed(2)} ms, max |diff| vs js reference ${maxErr.toExponential(2)}`);
    });
}
