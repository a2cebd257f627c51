// ONNX import against PyTorch's logits (fixtures from test/fixtures/make_onnx.py), the graphs and
// files it must refuse, state dicts with BatchNorm/Dropout, and ONNX export against onnxruntime-node.
//
// Tolerance: logits are compared relative to the largest |logit| of the batch. Every layer here
// has at most 16 inputs, so a float32 dot product differs from PyTorch's by at most ~16·u·Σ|w·x|
// (u = 6e-8) per layer, and BatchNorm folding adds one rounding per weight: a few 1e-7 after three
// layers, well under 1e-5; a wrong fold, slope or activation is off by 1e-2 or more.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FormatError, TrimnetError } from '../src/errors.js';
import { loadModel } from '../src/io/model-file.js';
import { readNpy } from '../src/io/npy.js';
import { readOnnx } from '../src/io/onnx.js';
import { toOnnx } from '../src/io/onnx-export.js';
import { MLP } from '../src/nn/mlp.js';
import { Rng } from '../src/rng.js';
import { Tensor } from '../src/tensor.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const fx = join(import.meta.dirname, 'fixtures', 'onnx');
const x = readNpy(join(fx, 'input.npy')).data as Float32Array; // [8, 12]
const X = new Tensor(x, [8, 12]);
const TOL = 1e-5;

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}

const logits = (name: string) => readNpy(join(fx, `${name}_logits.npy`)).data as Float32Array;

describe('ONNX import matches PyTorch', () => {
  const cases: [string, string, number, number][] = [
    // file, activations, BatchNorms folded, nodes dropped
    ['gemm_relu_tanh', 'relu,tanh', 0, 0], // Gemm, opset 11
    ['matmul_add_sigmoid', 'sigmoid', 0, 0], // MatMul + Add, opset 13
    ['leaky_relu', 'leaky_relu(0.2)', 0, 0], // opset 14
    ['gelu_erf', 'gelu', 0, 0], // torch's Div/Erf/Add/Mul/Mul pattern, opset 17
    ['flatten_bn_dropout', 'relu,gelu', 2, 0], // Flatten at the input, two BatchNorms folded, opset 15
    ['dropout_identity', 'relu,gelu', 2, 2], // explicit Dropout and Identity nodes
    ['reshape_input', 'relu', 0, 0], // Reshape to [-1, 12] at the input
    ['no_hidden', 'none', 0, 0],
    ['float_data', 'relu,tanh', 0, 0], // initializers as float_data
    ['external', 'relu,tanh', 0, 0], // initializers in external.onnx.data
  ];
  for (const [name, acts, folded, dropped] of cases) {
    it(`${name}: logits within ${TOL} relative`, () => {
      const { model, info } = readOnnx(join(fx, `${name}.onnx`));
      expect(model.describeActivations()).toBe(acts);
      expect(info.folded).toHaveLength(folded);
      expect(info.dropped).toHaveLength(dropped);
      expect(relErr(model.forward(X).data, logits(name))).toBeLessThan(TOL);
    });
  }

  it('keeps the input shape behind Flatten and the graph names', () => {
    const { info } = readOnnx(join(fx, 'flatten_bn_dropout.onnx'));
    expect(info.inputShape).toEqual([1, 3, 4]);
    expect(info.inputName).toBe('input');
    expect(info.outputName).toBe('logits');
    expect(info.opset).toBe(15);
  });
});

describe('ONNX import refuses what it cannot run, with one clear error', () => {
  for (const [name, msg] of [
    ['bad_conv', /node '\/0\/Conv' \(op Conv\) is not supported; trimnet imports feed-forward chains of Gemm/],
    ['bad_residual', /feeds 2 nodes .*\(op Add\).*skip connection/],
    ['bad_two_inputs', /2 inputs \(input0, input1\)/],
    ['bad_softmax_middle', /\(op Softmax\) is not supported/],
  ] as const) {
    it(name, () => expect(() => readOnnx(join(fx, `${name}.onnx`))).toThrow(msg));
  }

  it('every truncation of a model and random bytes', () => {
    const bytes = readFileSync(join(fx, 'gemm_relu_tanh.onnx'));
    for (let n = 0; n < bytes.length; n++) {
      expect(() => readOnnx(bytes.subarray(0, n)), `truncated to ${n} bytes`).toThrow(TrimnetError);
    }
    const rng = new Rng(5);
    for (let t = 0; t < 200; t++) {
      const junk = Uint8Array.from({ length: 1 + Math.floor(rng.uniform(0, 400)) }, () => Math.floor(rng.uniform(0, 256)));
      expect(() => readOnnx(junk)).toThrow(TrimnetError);
    }
    expect(() => readOnnx(bytes.subarray(0, 1000))).toThrow(/not a valid ONNX model/);
  });

  it('external data that is missing or outside the model directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-onnx-'));
    writeFileSync(join(dir, 'm.onnx'), readFileSync(join(fx, 'external.onnx')));
    expect(() => readOnnx(join(dir, 'm.onnx'))).toThrow(/cannot read external data file/);
    expect(() => readOnnx(readFileSync(join(fx, 'external.onnx')))).toThrow(/load the model from its path/);
  });
});

describe('PyTorch state dicts with BatchNorm1d and Dropout', () => {
  it('safetensors without an activation asks for one, never guesses', () => {
    expect(() => loadModel(join(fx, 'ckpt_seq_bn.safetensors'))).toThrow(FormatError);
    expect(() => loadModel(join(fx, 'ckpt_seq_bn.safetensors'))).toThrow(/does not record its activation.*--activation/);
  });
  for (const file of ['ckpt_seq_bn.safetensors', 'ckpt_seq_bn.npz']) {
    it(`${file}: BatchNorm folded, Dropout's index gap skipped, logits within ${TOL}`, () => {
      const { model, folded } = loadModel(join(fx, file), { activation: 'gelu' });
      expect(model.layerSizes()).toEqual([12, 16, 8, 5]);
      expect(folded).toEqual(["BatchNorm1d '1' into '0'", "BatchNorm1d '5' into '4'"]);
      expect(relErr(model.forward(X).data, logits('ckpt_seq_bn'))).toBeLessThan(TOL);
    });
  }
  it('named modules (fc1, bn1, fc2) from .npz', () => {
    const { model, folded } = loadModel(join(fx, 'ckpt_named.npz'), { activation: 'tanh' });
    expect(folded).toEqual(["BatchNorm1d 'bn1' into 'fc1'"]);
    expect(relErr(model.forward(X).data, logits('ckpt_named'))).toBeLessThan(TOL);
  });
});

async function runOrt(bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
  return out[s.outputNames[0]!]!.data as Float32Array;
}

describe('ONNX export runs in onnxruntime-node with trimnet\'s outputs', () => {
  for (const name of ['gemm_relu_tanh', 'matmul_add_sigmoid', 'leaky_relu', 'gelu_erf', 'flatten_bn_dropout', 'no_hidden']) {
    it(`${name}: ORT equals trimnet to ${TOL} relative, for batch 8 and 1`, async () => {
      const { model, info } = readOnnx(join(fx, `${name}.onnx`));
      const bytes = toOnnx(model, { inputName: info.inputName, inputShape: info.inputShape, metadata: { source: `${name}.onnx` } });
      const ours = model.forward(X).data;
      expect(relErr(await runOrt(bytes, x, [8, ...info.inputShape]), ours)).toBeLessThan(TOL);
      expect(relErr(await runOrt(bytes, x.subarray(0, 12), [1, ...info.inputShape]), ours.subarray(0, 5))).toBeLessThan(TOL);
      const back = readOnnx(bytes);
      expect(back.info.opset).toBe(17);
      expect(back.info.inputShape).toEqual(info.inputShape);
      expect(back.info.metadata.source).toBe(`${name}.onnx`);
      expect(back.model.describeActivations()).toBe(model.describeActivations());
    });
  }

  it('a per-layer model with every activation', async () => {
    const model = MLP.create({ sizes: [12, 9, 8, 7, 6, 6, 5, 4], activation: ['relu', { name: 'leaky_relu', slope: 0.3 }, 'gelu', 'tanh', 'sigmoid', 'identity'], seed: 3 });
    const bytes = toOnnx(model);
    expect(relErr(await runOrt(bytes, x, [8, 12]), model.forward(X).data)).toBeLessThan(TOL);
    const back = MLP.fromSafetensors(model.toSafetensors());
    expect(back.describeActivations()).toBe('relu,leaky_relu(0.3),gelu,tanh,sigmoid,identity');
  });
});

describe('CLI: prune an ONNX model into an ONNX model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trimnet-onnx-cli-'));
  const run = cliRunner(dir);
  it('prune model.onnx --out small.onnx: smaller, metadata kept, ORT agrees with trimnet on every prediction', async () => {
    const src = join(dir, 'model.onnx');
    expect(run('train', '--data', 'mini', '--limit', '600', '--layers', '32,16', '--activation', 'gelu,relu', '--epochs', '1', '--out', src, '--json').code).toBe(0);
    const r = run('prune', src, '--data', 'mini', '--target-params', '0.5', '--reconstruct', '--out', join(dir, 'small.onnx'), '--json');
    expect(r.code, r.err).toBe(0);
    const { model, info } = readOnnx(join(dir, 'small.onnx'));
    expect(model.paramCount()).toBeLessThanOrEqual(0.5 * readOnnx(src).model.paramCount());
    expect(model.describeActivations()).toBe('gelu,relu');
    expect(info.metadata.source).toBe(src);
    expect(info.metadata.pruned).toMatch(/activation pruning.*reconstructed/);
    const { loadDataset } = await import('../src/io/datasets.js');
    const test = loadDataset('mini', { split: 'test', limit: 200 }).test.x;
    const ortLogits = await runOrt(readFileSync(join(dir, 'small.onnx')), test.data, [test.rows, 784]);
    const ours = model.predict(test);
    for (let i = 0; i < test.rows; i++) {
      let arg = 0;
      for (let j = 1; j < 10; j++) if (ortLogits[i * 10 + j]! > ortLogits[i * 10 + arg]!) arg = j;
      expect(arg).toBe(ours[i]);
    }
  });
  it('export of a state dict without an activation, and of an unsupported graph: one line, exit 1', () => {
    expectOneLineError(run('export', join(fx, 'ckpt_seq_bn.safetensors'), '--out', join(dir, 'x.onnx')), /does not record its activation/);
    expectOneLineError(run('export', join(fx, 'bad_conv.onnx'), '--out', join(dir, 'y.onnx')), /op Conv/);
    const ok = run('export', join(fx, 'ckpt_seq_bn.npz'), '--activation', 'gelu', '--out', join(dir, 'z.onnx'));
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/folded BatchNorm1d '1' into '0'/);
  });
});
