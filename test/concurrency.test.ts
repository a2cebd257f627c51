// Async calls in flight together, from worker threads, and while their inputs are dropped and
// garbage-collected: the answers equal sequential sync calls, and nothing is used after free.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend/registry.js';
import { MLP } from '../src/nn/mlp.js';
import { matmul, matmulAsync, svd, svdAsync } from '../src/ops.js';
import { activationStats } from '../src/prune/stats.js';
import { pruneByActivation } from '../src/prune/activation.js';
import { Rng } from '../src/rng.js';
import { Tensor } from '../src/tensor.js';

const dist = resolve(__dirname, '..', 'dist', 'src', 'index.js');

function rand(rows: number, cols: number, seed: number): Tensor {
  const r = new Rng(seed);
  return new Tensor(Float32Array.from({ length: rows * cols }, () => r.normal()), [rows, cols]);
}

describe('async calls in flight at once equal sequential sync calls', () => {
  it('matmulAsync: same and different matrices, transposes', async () => {
    const a = rand(160, 96, 1);
    const b = rand(96, 130, 2);
    const c = rand(130, 96, 3);
    const jobs = [
      () => matmulAsync(a, b),
      () => matmulAsync(a, b),
      () => matmulAsync(a, c, { transB: true }),
      () => matmulAsync(b, a, { transA: true, transB: true }),
      () => matmulAsync(c, a, { transB: true }),
      () => matmulAsync(a, b),
    ];
    const sync = [matmul(a, b), matmul(a, b), matmul(a, c, { transB: true }), matmul(b, a, { transA: true, transB: true }), matmul(c, a, { transB: true }), matmul(a, b)];
    const got = await Promise.all(jobs.map((j) => j()));
    got.forEach((g, i) => {
      expect(g.shape).toEqual(sync[i]!.shape);
      expect(g.data).toEqual(sync[i]!.data);
    });
  });

  it('svdAsync: several at once on the same and different matrices', async () => {
    if (!getBackend().svdAsync) return expect(getBackend().name).toBe('js'); // the js backend has no async svd to race
    const a = rand(60, 40, 4);
    const b = rand(33, 50, 5);
    const sync = [svd(a), svd(a), svd(b), svd(b, { full: true })];
    const got = await Promise.all([svdAsync(a), svdAsync(a), svdAsync(b), svdAsync(b, { full: true })]);
    got.forEach((g, i) => {
      expect(g.S).toEqual(sync[i]!.S);
      expect(g.U.data).toEqual(sync[i]!.U.data);
      expect(g.V.data).toEqual(sync[i]!.V.data);
    });
  });

  it('forwardAsync: one model and two models, mixed with matmulAsync', async () => {
    const m1 = MLP.create({ sizes: [784, 128, 64, 10], activation: 'relu', seed: 1 });
    const m2 = MLP.create({ sizes: [784, 32, 10], activation: 'tanh', seed: 2 });
    const x = rand(50, 784, 6);
    const y = rand(7, 784, 7);
    const sync = [m1.forward(x), m1.forward(y), m2.forward(x), m1.forward(x), m2.forward(y)];
    const got = await Promise.all([m1.forwardAsync(x), m1.forwardAsync(y), m2.forwardAsync(x), m1.forwardAsync(x), m2.forwardAsync(y), matmulAsync(x, y, { transB: true })]);
    sync.forEach((s, i) => expect(got[i]!.data).toEqual(s.data));
    expect(got[5]!.data).toEqual(matmul(x, y, { transB: true }).data);
  });

  it('pruning a model while its forwardAsync is in flight changes neither the answer nor the model', async () => {
    const m = MLP.create({ sizes: [784, 96, 48, 10], activation: 'relu', seed: 3 });
    const x = rand(64, 784, 8);
    const before = m.forward(x);
    const pending = m.forwardAsync(x);
    const { model: pruned } = pruneByActivation(m, activationStats(m, x), { threshold: 0.05, statistic: 'mean', relative: true });
    expect(pruned.paramCount()).toBeLessThan(m.paramCount());
    expect((await pending).data).toEqual(before.data);
    expect(m.forward(x).data).toEqual(before.data);
  });
});

describe('the CPU thread pool', () => {
  it('the first multi-threaded GEMM of a fresh process never deadlocks (8 processes)', async () => {
    expect(existsSync(dist), 'run `npm run build:ts` first').toBe(true);
    const code = `const t = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const a = new t.Tensor(new Float32Array(384 * 384).fill(1), [384, 384]);
      console.log(t.matmul(a, a).data[0]);`;
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => new Promise<{ code: number | null; out: string }>((ok) => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.once('exit', (code) => ok({ code, out }));
      })),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe('384');
    }
  });
});

describe('worker_threads', () => {
  it('workers that each import trimnet give the same answers as the main thread', async () => {
    expect(existsSync(dist), 'run `npm run build:ts` first').toBe(true);
    const code = `
      import { parentPort, workerData } from 'node:worker_threads';
      const t = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const { seed } = workerData;
      const r = new t.Rng(seed);
      const a = new t.Tensor(Float32Array.from({ length: 120 * 80 }, () => r.normal()), [120, 80]);
      const b = new t.Tensor(Float32Array.from({ length: 80 * 90 }, () => r.normal()), [80, 90]);
      const [s, as] = [t.matmul(a, b), await t.matmulAsync(a, b)];
      const m = t.MLP.create({ sizes: [80, 32, 10], activation: 'relu', seed });
      const f = await m.forwardAsync(a);
      const sv = t.getBackend().svdAsync ? (await t.svdAsync(a)).S : null;
      parentPort.postMessage({ backend: t.getBackend().name, sync: s.data, async: as.data, forward: f.data, S: sv });
    `;
    const seeds = [11, 12, 13, 11];
    const results = await Promise.all(
      seeds.map(
        (seed) =>
          new Promise<{ backend: string; sync: Float32Array; async: Float32Array; forward: Float32Array; S: Float32Array | null }>((ok, fail) => {
            const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: { seed } });
            w.once('message', (m) => {
              ok(m);
              void w.terminate();
            });
            w.once('error', fail);
          }),
      ),
    );
    results.forEach((res, i) => {
      const r = new Rng(seeds[i]);
      const a = new Tensor(Float32Array.from({ length: 120 * 80 }, () => r.normal()), [120, 80]);
      const b = new Tensor(Float32Array.from({ length: 80 * 90 }, () => r.normal()), [80, 90]);
      expect(res.backend).toBe(getBackend().name);
      const ref = matmul(a, b).data;
      expect(res.sync).toEqual(ref);
      expect(res.async).toEqual(ref);
      expect(res.forward).toEqual(MLP.create({ sizes: [80, 32, 10], activation: 'relu', seed: seeds[i] }).forward(a).data);
      if (res.S) expect(res.S).toEqual(svd(a).S);
    });
  });
});

describe('inputs dropped and garbage-collected while an async call uses them', () => {
  it('stay alive until the call ends (child process with --expose-gc)', () => {
    expect(existsSync(dist), 'run `npm run build:ts` first').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'trimnet-gc-'));
    try {
      const script = join(dir, 'gc.mjs');
      writeFileSync(
        script,
        `
        const t = await import(${JSON.stringify(dist)});
        const gc = globalThis.gc;
        const make = (rows, cols, seed) => { const r = new t.Rng(seed); return new t.Tensor(Float32Array.from({ length: rows * cols }, () => r.normal()), [rows, cols]); };
        // Expected answers from separate copies.
        const expectMat = t.matmul(make(384, 384, 1), make(384, 384, 2)).data;
        const expectFwd = t.MLP.create({ sizes: [784, 256, 128, 10], activation: 'relu', seed: 5 }).forward(make(256, 784, 3)).data;
        const expectS = t.getBackend().svdAsync ? t.svd(make(200, 150, 4)).S : null;
        // Start the calls with inputs that nothing else references, then collect garbage hard.
        const pending = [];
        for (let i = 0; i < 4; i++) pending.push(t.matmulAsync(make(384, 384, 1), make(384, 384, 2)).then((c) => ['mat', c.data]));
        {
          let model = t.MLP.create({ sizes: [784, 256, 128, 10], activation: 'relu', seed: 5 });
          pending.push(model.forwardAsync(make(256, 784, 3)).then((c) => ['fwd', c.data]));
          // "free" the model while its forward is in flight: drop its layers and the model itself
          setImmediate(() => { model.layers.splice(0); model = null; });
        }
        if (expectS) pending.push(t.svdAsync(make(200, 150, 4)).then((s) => ['svd', s.S]));
        let done = false;
        let gcs = 0;
        const churn = () => { if (done) return; gc(); gcs++; const junk = []; for (let i = 0; i < 50; i++) junk.push(new Float32Array(384 * 384).fill(i)); setImmediate(churn); };
        churn();
        const results = await Promise.allSettled(pending);
        done = true;
        let bad = 0;
        for (const r of results) {
          if (r.status === 'rejected') { console.log('rejected', r.reason?.message); if (!/layers|model/i.test(String(r.reason?.message))) bad++; continue; }
          const [kind, data] = r.value;
          const want = kind === 'mat' ? expectMat : kind === 'fwd' ? expectFwd : expectS;
          let same = data.length === want.length;
          for (let i = 0; same && i < want.length; i++) if (data[i] !== want[i]) same = false;
          if (!same) { console.log('mismatch', kind); bad++; }
        }
        console.log(JSON.stringify({ results: results.length, gcs, bad }));
        process.exitCode = bad ? 1 : 0;
        `,
      );
      const r = spawnSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr).toBe('');
      expect(r.status, r.stdout).toBe(0);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(last.bad).toBe(0);
      expect(last.gcs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
