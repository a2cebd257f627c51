// CLI tests spawn the built CLI (npm run build:ts first).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/nn/mlp.js';
import { Tensor } from '../src/tensor.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { writeOutput } from '../src/cli/util.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const fx = join(__dirname, 'fixtures', 'nn');
const dir = mkdtempSync(join(tmpdir(), 'trimnet-cli-'));

const trimnet = cliRunner(dir, { TRIMNET_FASHION_MNIST: '/nonexistent/fmnist' });


describe('trimnet train / eval', () => {
  it('trains on a slice of the mini data, writes the model, and eval --json reads it back', () => {
    const out = join(dir, 'm.safetensors');
    const t = trimnet('train', '--data', 'mini', '--limit', '600', '--layers', '32,16', '--epochs', '3', '--batch-size', '64', '--lr', '3e-3', '--seed', '1', '--out', out, '--json');
    expect(t.code, t.err).toBe(0);
    const summary = JSON.parse(t.out);
    expect(summary.layerSizes).toEqual([784, 32, 16, 10]);
    expect(summary.epochs).toHaveLength(3);
    expect(summary.test.accuracy).toBeGreaterThan(0.3); // chance is 0.1
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const e = trimnet('eval', out, '--data', 'mini', '--limit', '600', '--json');
    expect(e.code, e.err).toBe(0);
    const ev = JSON.parse(e.out);
    expect(Object.keys(ev)).toEqual(['accuracy', 'loss', 'params', 'layerSizes']);
    expect(ev.layerSizes).toEqual([784, 32, 16, 10]);
    expect(ev.params).toBe(784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
    expect(ev.accuracy).toBeCloseTo(summary.test.accuracy, 10);
    const human = trimnet('eval', out, '--limit', '100');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/test accuracy 0\.\d{4} \(\d+\/100\)/);
  });

  it("eval of the PyTorch reference model gives PyTorch's accuracy on the mini test split", () => {
    const info = JSON.parse(readFileSync(join(fx, 'torch_784_512_256_10.json'), 'utf8'));
    const e = trimnet('eval', join(fx, 'torch_784_512_256_10.safetensors'), '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).accuracy).toBeCloseTo(info.miniTestAccuracy, 6);
  });

  it('bad input ends with one line and exit code 1', () => {
    expectOneLineError(trimnet('eval', join(dir, 'missing.safetensors')), /Cannot read safetensors file .*no such file/);
    const bytes = MLP.create({ sizes: [784, 8, 10], seed: 1 }).toSafetensors();
    writeFileSync(join(dir, 'trunc.safetensors'), bytes.subarray(0, bytes.length - 10));
    expectOneLineError(trimnet('eval', join(dir, 'trunc.safetensors')), /truncated|header lies/);
    const lying = new Uint8Array(bytes);
    new DataView(lying.buffer).setBigUint64(0, 2n ** 60n, true);
    writeFileSync(join(dir, 'lying.safetensors'), lying);
    expectOneLineError(trimnet('eval', join(dir, 'lying.safetensors')), /header length is 1152921504606846976/);
    writeFileSync(join(dir, 'nochain.safetensors'), writeSafetensors({ '0.weight': Tensor.zeros([8, 784]), '2.weight': Tensor.zeros([10, 9]) }));
    expectOneLineError(trimnet('eval', join(dir, 'nochain.safetensors')), /don't chain/);
    const nan = Tensor.zeros([10, 784]);
    nan.data[7] = NaN;
    writeFileSync(join(dir, 'nan.safetensors'), writeSafetensors({ '0.weight': nan }));
    expectOneLineError(trimnet('eval', join(dir, 'nan.safetensors')), /NaN/);
    expectOneLineError(trimnet('eval', join(fx, 'torch_small.safetensors'), '--data', 'fashion-mnist'), /apt-get install dataset-fashion-mnist/);
    expectOneLineError(trimnet('train', '--data', join(dir, 'nodir'), '--out', join(dir, 'x.safetensors')), /not 'mini', 'fashion-mnist' or an existing directory/);
    expectOneLineError(trimnet('train', '--layers', '12,x'), /Expected comma-separated numbers, each an integer ≥ 1, such as 512,256 \(or none\) for --layers/);
    expectOneLineError(trimnet('train', '--optimizer', 'lbfgs', '--epochs', '1'), /'adam' or 'sgd'/);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });

  it('writeOutput (what commands use for --out) never writes over an input file', () => {
    const model = join(dir, 'keep.safetensors');
    copyFileSync(join(fx, 'torch_small.safetensors'), model);
    const before = readFileSync(model);
    expect(() => writeOutput(join(dir, '.', 'keep.safetensors'), new Uint8Array([1]), [model])).toThrow(/Refusing to write .* it is also an input file/);
    expect(readFileSync(model).equals(before)).toBe(true);
    writeOutput(join(dir, 'other.safetensors'), before, [model]);
    expect(readFileSync(join(dir, 'other.safetensors')).equals(before)).toBe(true);
  });
});
