// The Node-level round of the GPU check (run by bench/gpu/device-check.sh after the addon is
// built): through the real library and CLI, on each backend named (default: cuda, then cpu),
//   1. a CLI round on the bundled 'mini' data: train two MLPs, eval, stats, prune, eval the
//      pruned model, embed both, align them (each step's wall time and key numbers);
//   2. the statistics pass over 60,000 images (the 10,000 'mini' training images tiled six
//      times: real pixels, the full Fashion-MNIST's size) through a 784-512-256-10 model, timed
//      on cuda (weights resident on the device, and copied per call for information) against
//      cpu in the same process, with the statistics of the two compared.
// A backend that is unavailable (no GPU here) is recorded with its reason, not a failure of the
// round. Writes OUTDIR/node_round.json and OUTDIR/node_round.md; exit 1 if a step that ran failed.
//
//   node bench/gpu/node-round.mjs OUTDIR [backend...]      # env: NODE_ROUND_STEP_S (120)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MLP,
  Tensor,
  activationStats,
  availableBackends,
  dropFromDevice,
  keepOnDevice,
  loadDataset,
  setBackend,
} from '../../dist/src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = process.argv[2] ?? '.';
const backends = process.argv.length > 3 ? process.argv.slice(3) : ['cuda', 'cpu'];
const stepLimitMs = 1000 * Number(process.env.NODE_ROUND_STEP_S ?? 120);
const cli = join(root, 'bin', 'trimnet.js');
mkdirSync(outDir, { recursive: true });

const availability = Object.fromEntries(availableBackends().map((b) => [b.name, b]));
const result = { node: process.version, availability, cli: {}, stats60k: null, failures: 0 };
const save = () => writeFileSync(join(outDir, 'node_round.json'), `${JSON.stringify(result, null, 1)}\n`);

// ---- 1. CLI round ------------------------------------------------------------------------------

function step(dir, backend, name, args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, '--backend', backend, ...args, '--json'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: stepLimitMs,
    env: { ...process.env, TRIMNET_BACKEND: backend },
  });
  const seconds = (performance.now() - t0) / 1000;
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // left null: the step failed or printed no JSON
  }
  const ok = r.status === 0 && json !== null;
  const err = ok ? undefined : (r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')) || `exit ${r.status}`;
  console.log(`  ${backend} ${name}: ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(2)} s${ok ? '' : ` (${err})`}`);
  return { name, ok, seconds, json, ...(err ? { error: err } : {}) };
}

function cliRound(backend) {
  const dir = mkdtempSync(join(tmpdir(), `trimnet-round-${backend}-`));
  const steps = [];
  const run = (name, args) => {
    const s = step(dir, backend, name, args);
    steps.push(s);
    return s;
  };
  try {
    const a = run('train a (784-512-256-10, 2 epochs)', ['train', '--data', 'mini', '--epochs', '2', '--seed', '0', '--out', 'a.safetensors']);
    run('train b (784-256-128-10, 2 epochs)', ['train', '--data', 'mini', '--layers', '256,128', '--epochs', '2', '--seed', '1', '--out', 'b.safetensors']);
    const ev = run('eval a', ['eval', 'a.safetensors']);
    run('stats a (10,000 train images)', ['stats', 'a.safetensors', '--out', 'stats.json']);
    const pr = run('prune a to 50 % of parameters', ['prune', 'a.safetensors', '--stats', 'stats.json', '--target-params', '0.5', '--out', 'p.safetensors']);
    const evp = run('eval pruned', ['eval', 'p.safetensors']);
    run('embed a (train split)', ['embed', 'a.safetensors', '--split', 'train', '--out', 'ea.npy']);
    run('embed b (train split)', ['embed', 'b.safetensors', '--split', 'train', '--out', 'eb.npy']);
    const al = run('align a→b (procrustes)', ['align', 'ea.npy', 'eb.npy']);
    return {
      ok: steps.every((s) => s.ok),
      trainBackend: a.json?.backend,
      secondsPerEpoch: a.json?.secondsPerEpoch,
      accuracy: ev.json?.accuracy,
      prunedSizes: pr.json?.layerSizesAfter,
      prunedAccuracy: evp.json?.accuracy,
      alignedP1: al.json?.aligned?.p1,
      steps: steps.map(({ json, ...s }) => s),
      modelPath: a.ok ? join(dir, 'a.safetensors') : null,
      dir,
    };
  } catch (e) {
    return { ok: false, error: String(e), steps, dir };
  }
}

for (const b of backends) {
  if (!availability[b]?.available) {
    result.cli[b] = { skipped: `backend unavailable: ${availability[b]?.reason ?? 'unknown backend'}` };
    console.log(`CLI round on ${b}: skipped (${result.cli[b].skipped})`);
    continue;
  }
  console.log(`CLI round on ${b}:`);
  result.cli[b] = cliRound(b);
  if (!result.cli[b].ok) result.failures++;
  save();
}

// ---- 2. statistics pass over 60,000 images ---------------------------------------------------

function tiled(x, times) {
  const data = new Float32Array(x.data.length * times);
  for (let i = 0; i < times; i++) data.set(x.data, i * x.data.length);
  return new Tensor(data, [x.shape[0] * times, x.shape[1]]);
}

function timeRounds(fn, rounds) {
  fn(); // warm-up: kernels loaded, buffers pooled
  const ms = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((p, q) => p - q);
  return { best: ms[0], median: ms[Math.floor(ms.length / 2)], rounds };
}

function maxRelDiff(a, b) {
  let worst = 0;
  for (let l = 0; l < a.length; l++)
    for (let j = 0; j < a[l].size; j++) {
      const d = Math.abs(a[l].mean[j] - b[l].mean[j]) / (1e-3 + Math.abs(b[l].mean[j]));
      if (d > worst) worst = d;
    }
  return worst;
}

{
  const mini = loadDataset('mini', { split: 'train' }).train.x;
  const x = tiled(mini, 6);
  const modelPath = result.cli.cuda?.modelPath ?? result.cli.cpu?.modelPath;
  const model = modelPath ? MLP.fromSafetensors(modelPath) : MLP.create({ sizes: [784, 512, 256, 10], seed: 0 });
  const s = { images: x.shape[0], model: model.layerSizes().join('-'), trained: Boolean(modelPath), rows: [] };
  result.stats60k = s;
  const ref = {};
  for (const batchSize of [1024, 8192]) {
    const row = { batchSize };
    for (const b of ['cpu', 'cuda']) {
      if (!availability[b]?.available) {
        row[b] = { skipped: availability[b]?.reason ?? 'unavailable' };
        continue;
      }
      setBackend(b);
      const weights = model.layers.flatMap((l) => [l.weight.data, l.bias]);
      if (b === 'cuda') {
        row.cudaCopied = timeRounds(() => activationStats(model, x, { batchSize }), 3);
        row.cuda = { resident: weights.every((w) => keepOnDevice(w)) };
      }
      let stats;
      Object.assign((row[b] ??= {}), timeRounds(() => (stats = activationStats(model, x, { batchSize })), 5));
      if (b === 'cuda') for (const w of weights) dropFromDevice(w);
      ref[b] = stats;
    }
    if (ref.cpu && ref.cuda) {
      // Both sum the same float32 activations into float64 accumulators; the activations differ
      // by GEMM rounding, ~√k·2⁻²⁴ relative (k ≤ 784), so the means agree to well under 1e-4.
      row.maxRelDiffMean = maxRelDiff(ref.cuda, ref.cpu);
      row.agree = row.maxRelDiffMean < 1e-4;
      if (!row.agree) result.failures++;
    }
    if (row.cpu?.best && row.cuda?.best) row.speedup = row.cpu.best / row.cuda.best;
    s.rows.push(row);
    console.log(`stats pass ${s.images}×784, ${s.model}, batch ${batchSize}: ${JSON.stringify(row)}`);
    save();
  }
}

// ---- markdown ---------------------------------------------------------------------------------

const fmt = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : '–');
const md = [`### Node-level round (node ${process.version}, bench/gpu/node-round.mjs)`, ''];
for (const [b, a] of Object.entries(availability)) md.push(`- backend ${b}: ${a.available ? 'available' : `unavailable (${a.reason})`}`);
md.push('', '| backend | CLI round | train s/epoch | test acc. | pruned sizes | pruned acc. | align P@1 | failed steps |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [b, r] of Object.entries(result.cli)) {
  if (r.skipped) md.push(`| ${b} | skipped: ${r.skipped} | | | | | | |`);
  else
    md.push(
      `| ${b} | ${r.ok ? 'ok ✔' : 'FAILED ✘'} | ${fmt(r.secondsPerEpoch)} | ${fmt(r.accuracy, 4)} | ${r.prunedSizes?.join('-') ?? '–'} | ${fmt(r.prunedAccuracy, 4)} | ${fmt(r.alignedP1, 3)} | ${r.steps.filter((x) => !x.ok).map((x) => `${x.name}: ${x.error}`).join('; ') || 'none'} |`,
    );
}
const s = result.stats60k;
md.push(
  '',
  `Statistics pass over ${s.images.toLocaleString('en')} images (mini ×6) through ${s.model}${s.trained ? ' (trained in the round)' : ' (random weights)'}; best of 5 (median), one process:`,
  '',
  '| batch | cpu | cuda, weights resident | cuda, weights copied per call | cpu / cuda resident | stats agree (max rel. diff of means) | target |',
  '| --- | --- | --- | --- | --- | --- | --- |',
);
const cell = (t) => (t?.best ? `${fmt(t.best, 1)} ms (${fmt(t.median, 1)})` : t?.skipped ? `– (${t.skipped})` : '–');
for (const r of s.rows) {
  const mark = r.speedup === undefined ? '' : r.speedup > 1 ? ' ✔' : ' ✘';
  md.push(
    `| ${r.batchSize} | ${cell(r.cpu)} | ${cell(r.cuda)}${r.cuda?.resident === false ? ' (keepOnDevice refused)' : ''} | ${cell(r.cudaCopied)} | ${fmt(r.speedup)}${r.batchSize === 1024 ? mark : ''} | ${r.agree === undefined ? '–' : `${r.agree ? 'yes' : 'NO'} (${r.maxRelDiffMean.toExponential(1)})`} | ${r.batchSize === 1024 ? 'cuda faster than cpu' : ''} |`,
  );
}
md.push('');
writeFileSync(join(outDir, 'node_round.md'), md.join('\n'));
save();
for (const r of Object.values(result.cli)) if (r.dir) rmSync(r.dir, { recursive: true, force: true });
console.log(md.join('\n'));
process.exitCode = result.failures ? 1 : 0;
