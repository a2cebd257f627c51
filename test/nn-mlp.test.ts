import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setBackend, getBackend } from '../src/backend/registry.js';
import { activate } from '../src/backend/activation.js';
import { DataError, FormatError, ShapeError } from '../src/errors.js';
import { loadDataset } from '../src/io/datasets.js';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { MLP } from '../src/nn/mlp.js';
import { Tensor } from '../src/tensor.js';

const fx = join(__dirname, 'fixtures', 'nn');
const mini = loadDataset('mini', { split: 'test' });

/** Plain loops in float64: the reference forward. */
function refForward(m: MLP, x: Tensor): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let r = 0; r < x.rows; r++) {
    let h = Float64Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols));
    m.layers.forEach((l, li) => {
      const [o, k] = l.weight.shape as [number, number];
      const next = new Float64Array(o);
      for (let i = 0; i < o; i++) {
        let s = l.bias[i]!;
        for (let j = 0; j < k; j++) s += l.weight.data[i * k + j]! * h[j]!;
        next[i] = li === m.layers.length - 1 ? s : activate(m.activation, s, m.leakySlope);
      }
      h = next;
    });
    rows.push(h);
  }
  return rows;
}

describe('MLP forward', () => {
  for (const activation of ['relu', 'tanh', 'gelu', 'leaky_relu', 'sigmoid'] as const) {
    it(`matches plain loops (${activation}) on the current backend (${getBackend().name})`, () => {
      const m = MLP.create({ sizes: [20, 16, 8, 5], activation, seed: 3 });
      const x = Tensor.randn([7, 20], 4);
      const got = m.forward(x);
      const ref = refForward(m, x);
      ref.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(got.get(i, j) - v)).toBeLessThan(1e-5 * (1 + Math.abs(v)))));
    });
  }

  it('predictOne and forwardOne equal forward, reuse their buffers, and write into `out`', () => {
    const m = MLP.create({ sizes: [784, 64, 32, 10], seed: 1 });
    const x = mini.test.x.sliceRows(0, 30);
    const logits = m.forward(x);
    const preds = m.predict(x);
    let first: Float32Array | null = null;
    for (let i = 0; i < 30; i++) {
      const row = x.data.slice(i * 784, (i + 1) * 784);
      const z = m.forwardOne(row);
      first ??= z;
      expect(z).toBe(first); // the same scratch buffer every call
      for (let j = 0; j < 10; j++) expect(Math.abs(z[j]! - logits.get(i, j))).toBeLessThan(1e-5);
      expect(m.predictOne(row)).toBe(preds[i]);
    }
    const out = new Float32Array(10);
    expect(m.forwardOne(x.data.slice(0, 784), out)).toBe(out);
  });

  it('forwardAsync equals forward', async () => {
    const m = MLP.create({ sizes: [784, 64, 10], seed: 2 });
    const x = mini.test.x.sliceRows(0, 100);
    expect((await m.forwardAsync(x)).data).toEqual(m.forward(x).data);
  });

  it('rejects NaN input with a DataError, on every path', async () => {
    const m = MLP.create({ sizes: [4, 3, 2], seed: 1 });
    const x = Tensor.from([1, 2, 3, 4, 5, NaN, 7, 8], [2, 4]);
    expect(() => m.forward(x)).toThrow(DataError);
    expect(() => m.forward(x)).toThrow(/NaN at row 1, column 1/);
    expect(() => m.predictOne(new Float32Array([0, Infinity, 0, 0]))).toThrow(DataError);
    await expect(m.forwardAsync(x)).rejects.toThrow(DataError);
    expect(() => m.evaluate(Tensor.zeros([1, 4]), [5])).toThrow(/Label 0 is 5/);
    expect(() => m.forward(Tensor.zeros([2, 5]))).toThrow(ShapeError);
  });
});

describe('MLP safetensors', () => {
  it('round-trips exactly, with nn.Sequential names and the activation in __metadata__', () => {
    const m = MLP.create({ sizes: [10, 7, 5, 3], activation: 'leaky_relu', leakySlope: 0.2, seed: 5 });
    const bytes = m.toSafetensors();
    const f = readSafetensors(bytes);
    expect([...f.tensors.keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(f.tensors.get('2.weight')!.shape).toEqual([5, 7]);
    expect(f.metadata.activation).toBe('leaky_relu');
    const back = MLP.fromSafetensors(bytes);
    expect(back.activation).toBe('leaky_relu');
    expect(back.leakySlope).toBeCloseTo(0.2, 7);
    expect(back.layerSizes()).toEqual([10, 7, 5, 3]);
    back.layers.forEach((l, i) => {
      expect(l.weight.data).toEqual(m.layers[i]!.weight.data);
      expect(l.bias).toEqual(m.layers[i]!.bias);
    });
    expect(MLP.fromSafetensors(bytes, { activation: 'tanh' }).activation).toBe('tanh');
  });

  it('reads named layers in numeric order (fc2 before fc10) and by shape when names do not order them', () => {
    const t = (o: number, i: number, s: number) => Tensor.randn([o, i], s);
    const v = (o: number) => Tensor.zeros([o]);
    const named = writeSafetensors({ 'fc10.weight': t(2, 3, 1), 'fc10.bias': v(2), 'fc2.weight': t(3, 4, 2), 'fc2.bias': v(3) });
    expect(() => MLP.fromSafetensors(named)).toThrow(/does not record its activation/);
    expect(MLP.fromSafetensors(named, { activation: 'relu' }).layerSizes()).toEqual([4, 3, 2]);
    const layers = writeSafetensors({ 'layers.1.weight': t(2, 3, 1), 'layers.0.weight': t(3, 4, 2), 'layers.0.bias': v(3) });
    const m = MLP.fromSafetensors(layers, { activation: 'relu' });
    expect(m.layerSizes()).toEqual([4, 3, 2]);
    expect(Array.from(m.layers[1]!.bias)).toEqual([0, 0]); // Linear(bias=False)
    const words = writeSafetensors({ 'output.weight': t(2, 3, 1), 'output.bias': v(2), 'hidden.weight': t(3, 4, 2), 'hidden.bias': v(3) });
    expect(MLP.fromSafetensors(words, { activation: 'relu' }).layerSizes()).toEqual([4, 3, 2]);
  });

  it('rejects files that are not MLPs with one clear error', () => {
    const t = (o: number, i: number) => Tensor.randn([o, i], 1);
    expect(() => MLP.fromSafetensors(writeSafetensors({ '0.weight': t(3, 4), '2.weight': t(2, 5) }))).toThrow(ShapeError);
    expect(() => MLP.fromSafetensors(writeSafetensors({ '0.weight': t(3, 4), '2.weight': t(2, 5) }))).toThrow(/don't chain/);
    expect(() => MLP.fromSafetensors(writeSafetensors({ '0.weight': t(3, 4), '0.bias': Tensor.zeros([4]) }))).toThrow(/has 3 outputs/);
    expect(() => MLP.fromSafetensors(writeSafetensors({ 'bn.running_mean': Tensor.zeros([4]) }))).toThrow(FormatError);
    const nan = t(3, 4);
    nan.data[5] = NaN;
    expect(() => MLP.fromSafetensors(writeSafetensors({ '0.weight': nan }))).toThrow(DataError);
    expect(() => MLP.fromSafetensors(writeSafetensors({ '0.weight': t(3, 4) }, { metadata: { activation: 'swish' } }))).toThrow(/unknown activation 'swish'/);
  });
});

describe('PyTorch-trained models', () => {
  for (const [name, act] of [
    ['torch_small', 'relu'],
    ['torch_named_tanh', 'tanh'],
  ] as const) {
    it(`${name}: reproduces PyTorch's logits to 1e-4 and its predictions on all 2,000 mini test images`, () => {
      const m = MLP.fromSafetensors(join(fx, `${name}.safetensors`));
      expect(m.activation).toBe(act);
      const want = readNpy(join(fx, `${name}_logits20.npy`));
      expect(want.shape).toEqual([20, 10]);
      const got = m.forward(mini.test.x.sliceRows(0, 20));
      let maxErr = 0;
      for (let i = 0; i < 200; i++) maxErr = Math.max(maxErr, Math.abs(got.data[i]! - (want.data as Float32Array)[i]!));
      expect(maxErr).toBeLessThan(1e-4);
      const preds = readNpy(join(fx, `${name}_pred.npy`)).data as Uint8Array;
      expect(Array.from(m.predict(mini.test.x))).toEqual(Array.from(preds));
      const meta = JSON.parse(readFileSync(join(fx, 'torch_small.json'), 'utf8'))[name];
      const ev = m.evaluate(mini.test.x, mini.test.labels);
      expect(ev.accuracy).toBeCloseTo(meta.miniTestAccuracy, 6);
      expect(ev.loss).toBeCloseTo(meta.miniTestLoss, 4);
    });
  }

  it("the 784-512-256-10 reference: PyTorch's predictions on the 2,000 mini test images, image for image", () => {
    const m = MLP.fromSafetensors(join(fx, 'torch_784_512_256_10.safetensors'));
    expect(m.layerSizes()).toEqual([784, 512, 256, 10]);
    expect(m.paramCount()).toBe(535818);
    const preds = readNpy(join(fx, 'torch_784_512_256_10_test_pred.npy')).data as Uint8Array;
    const got = m.predict(mini.test.x);
    expect(Array.from(got)).toEqual(Array.from(preds.subarray(0, 2000)));
    const info = JSON.parse(readFileSync(join(fx, 'torch_784_512_256_10.json'), 'utf8'));
    expect(m.evaluate(mini.test.x, mini.test.labels).accuracy).toBeCloseTo(info.miniTestAccuracy, 6);
  });

  it.runIf(process.env.TRIMNET_FULL === '1')("the reference on the full test set: PyTorch's accuracy and checksums", () => {
    const full = loadDataset('fashion-mnist', { split: 'test' });
    const m = MLP.fromSafetensors(join(fx, 'torch_784_512_256_10.safetensors'));
    const info = JSON.parse(readFileSync(join(fx, 'torch_784_512_256_10.json'), 'utf8'));
    const preds = readNpy(join(fx, 'torch_784_512_256_10_test_pred.npy')).data as Uint8Array;
    expect(Array.from(m.predict(full.test.x))).toEqual(Array.from(preds));
    expect(m.evaluate(full.test.x, full.test.labels).accuracy).toBe(info.testCorrect / 10000);
    const logits = m.forward(full.test.x);
    let s = 0;
    for (const v of logits.data) s += v;
    const want = info.layerChecksums[info.layerChecksums.length - 1].sum;
    expect(Math.abs(s - want) / Math.abs(want)).toBeLessThan(1e-5);
  });
});

describe('backends agree', () => {
  it('js and the default backend give the same predictions for the reference model', () => {
    const m = MLP.fromSafetensors(join(fx, 'torch_784_512_256_10.safetensors'));
    const x = mini.test.x.sliceRows(0, 200);
    const a = m.predict(x);
    const prev = getBackend().name;
    setBackend('js');
    try {
      expect(Array.from(m.predict(x))).toEqual(Array.from(a));
    } finally {
      setBackend(prev);
    }
  });
});
