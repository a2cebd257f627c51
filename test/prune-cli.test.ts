// CLI tests for stats / prune / sweep / l2 (spawn the built CLI: npm run build:ts first).
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/nn/mlp.js';
import { lnStructured } from '../src/prune/structured.js';
import { loadDataset } from '../src/io/datasets.js';
import { pruneByActivation } from '../src/prune/activation.js';
import { activationStats } from '../src/prune/stats.js';
import { cliRunner, expectOneLineError as oneLineError } from './helpers/cli.js';

const model = join(import.meta.dirname, 'fixtures', 'nn', 'torch_small.safetensors'); // 784-64-32-10 relu
const dir = mkdtempSync(join(tmpdir(), 'trimnet-prune-cli-'));

const trimnet = cliRunner(dir, { TRIMNET_FASHION_MNIST: '/nonexistent/fmnist' });

describe('trimnet stats / prune / sweep / l2', () => {
  it('stats prints a per-layer summary and writes mergeable JSON that prune reads', () => {
    const statsFile = join(dir, 'stats.json');
    const s = trimnet('stats', model, '--limit', '1000', '--out', statsFile);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/dead/);
    expect(s.out).toMatch(/histogram of per-neuron mean activation/);
    const j = trimnet('stats', model, '--limit', '1000', '--json');
    const summary = JSON.parse(j.out);
    expect(summary.layers.map((l: { size: number }) => l.size)).toEqual([64, 32]);
    expect(summary.samples).toBe(1000);
    const file = JSON.parse(readFileSync(statsFile, 'utf8'));
    expect(file.format).toBe('trimnet-activation-stats');
    const out = join(dir, 'p.safetensors');
    const p = trimnet('prune', model, '--stats', statsFile, '--threshold', '0.2', '--compensate-bias', '--out', out, '--json');
    expect(p.code, p.err).toBe(0);
    const rep = JSON.parse(p.out);
    expect(rep.paramsAfter).toBeLessThan(rep.paramsBefore);
    const pruned = MLP.fromSafetensors(out);
    expect(pruned.layerSizes()).toEqual(rep.layerSizesAfter);
    expect(statSync(out).size).toBe(rep.bytesAfter);
    expect(rep.accuracyAfter).toBeGreaterThan(0.5);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('prune --threshold 0.2 removes exactly the neurons pruneByActivation removes', () => {
    // The CLI collects statistics on the whole training split of 'mini', as done here; both run
    // the same code on the same backend, so the kept neurons and the weights must be identical.
    const out = join(dir, 'lambda.safetensors');
    const p = trimnet('prune', model, '--threshold', '0.2', '--out', out, '--json');
    expect(p.code, p.err).toBe(0);
    const orig = MLP.fromSafetensors(model);
    const { model: lib, report } = pruneByActivation(orig, activationStats(orig, loadDataset('mini').train.x), { threshold: 0.2 });
    const cli = MLP.fromSafetensors(out);
    expect(report.layerSizesAfter).not.toEqual(report.layerSizesBefore); // λ = 0.2 removes something here
    expect(cli.layerSizes()).toEqual(lib.layerSizes());
    expect(JSON.parse(p.out).layerSizesAfter).toEqual(lib.layerSizes());
    cli.layers.forEach((l, i) => {
      expect(l.weight.data).toEqual(lib.layers[i]!.weight.data);
      expect(l.bias).toEqual(lib.layers[i]!.bias);
    });
    // Kept indices of the first hidden layer: its rows are the original rows that survived.
    const rowsOf = (m: MLP) => Array.from({ length: m.layers[0]!.weight.shape[0]! }, (_, r) => m.layers[0]!.weight.data.subarray(r * 784, (r + 1) * 784).join());
    const origRows = rowsOf(orig);
    const keptCli = rowsOf(cli).map((r) => origRows.indexOf(r));
    const keptLib = rowsOf(lib).map((r) => origRows.indexOf(r));
    expect(keptCli).toEqual(keptLib);
    expect(keptCli.every((k, i) => k >= 0 && (i === 0 || k > keptCli[i - 1]!))).toBe(true);
  });

  it('prune --target-params meets the budget, with reconstruction', () => {
    const out = join(dir, 't.safetensors');
    const p = trimnet('prune', model, '--target-params', '0.5', '--reconstruct', '--calib', '2000', '--stats-limit', '2000', '--out', out, '--json');
    expect(p.code, p.err).toBe(0);
    const rep = JSON.parse(p.out);
    expect(rep.paramsAfter).toBeLessThanOrEqual(0.5 * rep.paramsBefore);
    expect(rep.reconstructed).toBe(true);
    const human = trimnet('prune', model, '--target-params', '0.5', '--stats-limit', '500', '--out', join(dir, 't2.safetensors'));
    expect(human.out).toMatch(/removed \d+\.\d% of parameters/);
  });

  it('sweep prints a table and writes JSON and an SVG plot', () => {
    const svg = join(dir, 'sweep.svg');
    const json = join(dir, 'sweep.json');
    const r = trimnet('sweep', model, '--thresholds', '0,0.1,0.3', '--stats-limit', '1000', '--plot', svg, '--out', json, '--no-latency');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n').filter((l) => /^(unpruned|0\.1|0\.3|0) /.test(l))).toHaveLength(4);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [^]*<\/svg>\n$/);
    const res = JSON.parse(readFileSync(json, 'utf8'));
    expect(res.rows.map((x: { threshold: number }) => x.threshold)).toEqual([0, 0.1, 0.3]);
  });

  it('l2 --all-layers --mask-only is PyTorch’s loop over every Linear; default mode shrinks', () => {
    const out = join(dir, 'l2.safetensors');
    const r = trimnet('l2', model, '--amount', '0.25', '--all-layers', '--mask-only', '--out', out);
    expect(r.code, r.err).toBe(0);
    const orig = MLP.fromSafetensors(model);
    const masked = MLP.fromSafetensors(out);
    expect(masked.layerSizes()).toEqual(orig.layerSizes());
    orig.layers.forEach((l, i) => {
      expect(masked.layers[i]!.weight.data).toEqual(lnStructured(l.weight, { amount: 0.25, n: 2, dim: 0 }).data);
      expect(masked.layers[i]!.bias).toEqual(l.bias);
    });
    const s = trimnet('l2', model, '--count', '8', '--n', 'inf', '--out', join(dir, 'l2s.safetensors'), '--json');
    expect(s.code, s.err).toBe(0);
    expect(JSON.parse(s.out).layerSizesAfter).toEqual([784, 56, 24, 10]);
  });

  it('bad input ends with one clear line and exit code 1, and never writes over the input', () => {
    oneLineError(trimnet('prune', model, '--threshold', 'NaN', '--out', join(dir, 'x.safetensors')), /Expected a number ≥ 0 for --threshold but received "NaN"/);
    oneLineError(trimnet('prune', model, '--threshold', '-1', '--out', join(dir, 'x.safetensors')), /--threshold/);
    oneLineError(trimnet('prune', model, '--out', join(dir, 'x.safetensors')), /exactly one of --threshold or --target-params/);
    oneLineError(trimnet('prune', model, '--threshold', '0.1', '--statistic', 'median', '--out', join(dir, 'x.safetensors')), /mean, meanAbs, apoz/);
    oneLineError(trimnet('prune', model, '--threshold', '0.1', '--out', model), /Refusing to write .* input file/);
    oneLineError(trimnet('prune', model, '--threshold', '0.1', '--data', 'fashion-mnist', '--out', join(dir, 'x.safetensors')), /apt-get install dataset-fashion-mnist/);
    oneLineError(trimnet('prune', join(dir, 'missing.safetensors'), '--threshold', '0.1', '--out', join(dir, 'x.safetensors')), /missing\.safetensors/);
    oneLineError(trimnet('prune', model, '--threshold', '1.5', '--statistic', 'apoz', '--out', join(dir, 'x.safetensors')), /APoZ.* for --threshold but received 1.5/);
    oneLineError(trimnet('l2', model, '--amount', '1.5', '--out', join(dir, 'x.safetensors')), /a number in \[0, 1\] for --amount/);
    oneLineError(trimnet('l2', model, '--count', '65', '--out', join(dir, 'x.safetensors')), /at most the 64 channels/);
    oneLineError(trimnet('l2', model, '--amount', '0.5', '--all-layers', '--out', join(dir, 'x.safetensors')), /needs --mask-only/);
    oneLineError(trimnet('l2', model, '--amount', '1', '--out', join(dir, 'x.safetensors')), /every neuron/);
    oneLineError(trimnet('l2', model, '--amount', '0.5', '--n', '3', '--out', join(dir, 'x.safetensors')), /1, 2 or inf/);
    oneLineError(trimnet('sweep', model, '--thresholds', '0,abc'), /comma-separated numbers.* for --thresholds/);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });
});
