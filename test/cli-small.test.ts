// Issue 16 items 4 and 7: the small things a new user meets — help defaults, "1 epoch", the demo's
// direct row saying how vectors of different widths are compared — and the library's symmetric
// file functions, train()'s final numbers, lnStructured's defaults and save()'s return value.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIdx, encodeIdx, readIdx, writeIdx } from '../src/io/idx.js';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../src/io/npy.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { MLP } from '../src/nn/mlp.js';
import { train } from '../src/nn/train.js';
import { lnStructured } from '../src/prune/structured.js';
import { Tensor } from '../src/tensor.js';
import { cliRunner } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'trimnet-cli-small-'));
const trimnet = cliRunner(dir, { TRIMNET_FASHION_MNIST: '/nonexistent/fmnist' });

describe('small things on the command line', () => {
  it('train --help prints the layers default as 512,256; one epoch is "1 epoch"', () => {
    const h = trimnet('train', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/\(default: 512,256\)/);
    const t = trimnet('train', '--limit', '300', '--layers', '8', '--epochs', '1', '--out', 'one.safetensors');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/, 1 epoch, /);
    expect(t.out).not.toMatch(/1 epochs/);
  });

  it("the demo's direct row says the narrower side is zero-padded", () => {
    const d = trimnet('demo', '--epochs', '1');
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/direct \(unaligned; the 32-dim side zero-padded to 64\)/);
    expect(d.out).toMatch(/train: .*, 1 epoch in/);
  });
});

describe('library: symmetric files, train() results, lnStructured defaults', () => {
  const t = Tensor.randn([3, 4], 5);

  it('readX(path)/writeX(path, …) and decodeX(bytes)/encodeX(…) round-trip; writes return { path, bytes }', () => {
    const npy = writeNpy(join(dir, 't.npy'), t);
    expect(npy).toEqual({ path: join(dir, 't.npy'), bytes: statSync(join(dir, 't.npy')).size });
    expect(readNpy(join(dir, 't.npy')).data).toEqual(t.data);
    expect(decodeNpy(encodeNpy(t)).data).toEqual(t.data);
    expect(encodeNpy(t)).toEqual(new Uint8Array(readFileSync(join(dir, 't.npy'))));
    expect(writeNpy(t)).toEqual(encodeNpy(t)); // the old bytes form still works

    const st = writeSafetensors(join(dir, 't.safetensors'), { w: t }, { metadata: { a: 'b' } });
    expect(st.bytes).toBe(statSync(st.path).size);
    expect(readSafetensors(st.path).tensors.get('w')!.data).toEqual(t.data);
    expect(decodeSafetensors(encodeSafetensors({ w: t })).tensors.get('w')!.data).toEqual(t.data);

    const arr = { shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) };
    const idx = writeIdx(join(dir, 't.idx.gz'), arr, { gzip: true });
    expect(idx.bytes).toBe(statSync(idx.path).size);
    expect(readIdx(idx.path).data).toEqual(arr.data);
    expect(decodeIdx(encodeIdx(arr)).data).toEqual(arr.data);
  });

  it('mlp.save returns { path, bytes }; train returns the trained model’s loss and accuracy', () => {
    const m = MLP.create({ sizes: [4, 6, 3], seed: 1 });
    const x = Tensor.randn([64, 4], 2);
    const y = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const r = train(m, x, y, { epochs: 2, batchSize: 16, seed: 0 });
    const ev = m.evaluate(x, y);
    expect(r.loss).toBe(ev.loss);
    expect(r.accuracy).toBe(ev.accuracy);
    const saved = m.save(join(dir, 'm.safetensors'));
    expect(saved).toEqual({ path: join(dir, 'm.safetensors'), bytes: m.toSafetensors().length });
  });

  it('lnStructured defaults to n = 2, dim = 0 (PyTorch users write ln_structured(m, "weight", a, n=2, dim=0))', () => {
    const w = Tensor.randn([10, 7], 3);
    expect(lnStructured(w, { amount: 0.3 }).data).toEqual(lnStructured(w, { amount: 0.3, n: 2, dim: 0 }).data);
    expect(lnStructured(w, { count: 2, dim: 1 }).data).toEqual(lnStructured(w, { count: 2, n: 2, dim: 1 }).data);
  });
});
