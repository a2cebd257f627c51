// Per-layer activations: backprop through a model whose hidden layers each have their own
// activation, against central differences of the loss; and the activations survive pruning and
// saving.
//
// One full-batch SGD step with lr 1, momentum 0 moves each weight by −∂L/∂w, so the step is the
// gradient. The central difference (L(w+h) − L(w−h))/2h in float64-accumulated js forward has
// truncation error O(h²·L''') ≈ 1e-6 and rounding error ≈ u·L/h ≈ 1e-5 for h = 1e-2; we compare
// to 1e-3 absolute + 1e-2 relative, far below a wrong derivative (off by O(1) of the gradient).
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../src/backend/registry.js';
import { MLP } from '../src/nn/mlp.js';
import { train } from '../src/nn/train.js';
import { pruneStructured } from '../src/prune/structured.js';
import { Tensor } from '../src/tensor.js';

const prev = getBackend().name;
afterAll(() => setBackend(prev));

describe('per-layer activations', () => {
  it('backprop matches central differences through relu, leaky_relu(0.3), gelu, tanh, sigmoid', () => {
    setBackend('js');
    const acts = ['relu', { name: 'leaky_relu', slope: 0.3 }, 'gelu', 'tanh', 'sigmoid'] as const;
    const m = MLP.create({ sizes: [6, 7, 7, 6, 6, 5, 3], activation: [...acts], seed: 11 });
    const x = Tensor.randn([16, 6], 2);
    const y = Int32Array.from({ length: 16 }, (_, i) => i % 3);
    const stepped = m.clone();
    train(stepped, x, y, { epochs: 1, batchSize: 16, optimizer: 'sgd', lr: 1, momentum: 0, shuffle: false });
    const h = 1e-2;
    for (let l = 0; l < m.layers.length; l++) {
      for (const idx of [0, 3, m.layers[l]!.weight.size - 1]) {
        const w = m.layers[l]!.weight.data;
        const keep = w[idx]!;
        w[idx] = keep + h;
        const up = m.evaluate(x, y).loss;
        w[idx] = keep - h;
        const down = m.evaluate(x, y).loss;
        w[idx] = keep;
        const numeric = (up - down) / (2 * h);
        const analytic = keep - stepped.layers[l]!.weight.data[idx]!;
        expect(Math.abs(analytic - numeric), `layer ${l} weight ${idx}`).toBeLessThan(1e-3 + 1e-2 * Math.abs(numeric));
      }
    }
  });

  it('kept through structured pruning and safetensors', () => {
    const m = MLP.create({ sizes: [8, 6, 6, 4], activation: ['gelu', { name: 'leaky_relu', slope: 0.25 }], seed: 1 });
    const { model } = pruneStructured(m, { amount: 0.5 });
    expect(model.describeActivations()).toBe('gelu,leaky_relu(0.25)');
    expect(MLP.fromSafetensors(model.toSafetensors()).describeActivations()).toBe('gelu,leaky_relu(0.25)');
    expect(() => model.activation).toThrow(/different activations/);
  });
});
