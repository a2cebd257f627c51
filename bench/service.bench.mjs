#!/usr/bin/env node
// npm run bench -- service: the example service (examples/service) under load.
// The service runs in a child process bound to 127.0.0.1 (loopback only); autocannon drives it
// from this process, bounded in time (SERVICE_BENCH_SECONDS, default 10 per run) and count.
// Runs: unpruned vs ~72%-pruned model (one sample per request, and batches of 32), and the
// unpruned model while a 2048² matmulAsync loops in the service process. Event-loop delay comes
// from the service's own perf_hooks.monitorEventLoopDelay (GET /metrics).
// Goals: no request fails; pruned ≥ 2× the requests/s of unpruned; p99 rises < 5 ms with the job.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { mdTable, root, writeResults } from './lib.mjs';

const dist = join(root, 'dist', 'src', 'index.js');
const server = join(root, 'dist', 'examples', 'service', 'server.js');
if (!existsSync(dist) || !existsSync(server)) {
  console.error('service bench: run `npm run build:ts` first (needs dist/examples/service/server.js)');
  process.exit(1);
}
const t = await import(dist);
const seconds = Number(process.env.SERVICE_BENCH_SECONDS) > 0 ? Number(process.env.SERVICE_BENCH_SECONDS) : 10;
const connections = Number(process.env.SERVICE_BENCH_CONNECTIONS) > 0 ? Number(process.env.SERVICE_BENCH_CONNECTIONS) : 8;
const maxRequests = Number(process.env.SERVICE_BENCH_MAX_REQUESTS) > 0 ? Number(process.env.SERVICE_BENCH_MAX_REQUESTS) : 2_000_000;
const jobSize = Number(process.env.SERVICE_BENCH_JOB_SIZE) > 0 ? Number(process.env.SERVICE_BENCH_JOB_SIZE) : 2048;
const HOST = '127.0.0.1';

// ---- models: the trained 784-512-256-10 fixture and a ~72%-pruned copy of it
const dir = mkdtempSync(join(tmpdir(), 'trimnet-service-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const unprunedPath = join(root, 'test', 'fixtures', 'nn', 'torch_784_512_256_10.safetensors');
const unpruned = t.MLP.fromSafetensors(unprunedPath);
const ds = t.loadDataset('mini', { limit: 2000 });
let pruned;
let pruneHow;
try {
  const { pruneByActivation } = await import(join(root, 'dist', 'src', 'prune', 'activation.js'));
  const { activationStats } = await import(join(root, 'dist', 'src', 'prune', 'stats.js'));
  const r = pruneByActivation(unpruned, activationStats(unpruned, ds.train.x), { targetParams: 0.28, statistic: 'mean' });
  pruned = r.model;
  pruneHow = 'pruneByActivation(statistic mean, targetParams 0.28) on 2,000 training images';
} catch (err) {
  const { pruneStructured } = await import(join(root, 'dist', 'src', 'prune', 'structured.js'));
  pruned = pruneStructured(unpruned, { amount: 0.72, shrink: true }).model;
  pruneHow = `pruneStructured(amount 0.72, shrink) (activation pruning unavailable: ${err.message})`;
}
const prunedPath = join(dir, 'pruned.safetensors');
pruned.save(prunedPath);
const acc = (m) => m.evaluate(ds.test.x, ds.test.labels).accuracy;
const models = {
  unpruned: { path: unprunedPath, sizes: unpruned.layerSizes(), params: unpruned.paramCount(), accuracy: acc(unpruned) },
  pruned: { path: prunedPath, sizes: pruned.layerSizes(), params: pruned.paramCount(), accuracy: acc(pruned) },
};
console.log(`models: unpruned ${models.unpruned.sizes.join('-')} (${models.unpruned.params} params), pruned ${models.pruned.sizes.join('-')} (${models.pruned.params} params, ${((1 - models.pruned.params / models.unpruned.params) * 100).toFixed(1)}% removed)`);

// ---- request bodies: real test images
const image = (i) => Array.from(ds.test.x.data.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1000) / 1000);
const oneBody = JSON.stringify({ input: image(0) });
const batchBody = JSON.stringify({ inputs: Array.from({ length: 32 }, (_, i) => image(i)) });

// ---- the service in a child process
async function startService(model, extraEnv = {}) {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, MODEL: model, HOST, PORT: '0', SERVICE_ADMIN: '1', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('the service did not start within 60 s')), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`the service exited with code ${code}`)));
  });
  const stop = () =>
    new Promise((ok) => {
      child.once('exit', ok);
      child.kill('SIGTERM');
    });
  return { url, stop };
}

const post = (url, path, body) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) }).then((r) => r.json());
const get = (url, path) => fetch(`${url}${path}`).then((r) => r.json());

async function load(url, body, label) {
  // warm-up, then reset the service's event-loop histogram so it covers only the measured run
  await autocannon({ url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: 1 });
  await post(url, '/admin/metrics/reset');
  const r = await autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    maxOverallRequests: maxRequests,
    timeout: 10,
  });
  const m = await get(url, '/metrics');
  const row = {
    label,
    rps: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    eldP99: m.eventLoopDelayMs.p99,
    eldMax: m.eventLoopDelayMs.max,
    job: m.job,
  };
  console.log(`${label}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${row.errors}, event-loop delay p99 ${row.eldP99} ms max ${row.eldMax} ms${m.job ? `, job ${m.job.kind} ${m.job.size}²: ${m.job.iterations} runs, last ${m.job.lastMs} ms` : ''}`);
  return row;
}

const rows = [];
const cores = os.availableParallelism();
// The third service keeps one core free of GEMM threads (TRIMNET_THREADS = cores - 1), so the
// background job cannot take every core from the event loop.
const services = [
  { name: 'unpruned', env: {}, batch: true, job: true },
  { name: 'pruned', env: {}, batch: true, job: false },
  ...(cores > 1 ? [{ name: 'unpruned', env: { TRIMNET_THREADS: String(cores - 1) }, batch: false, job: true }] : []),
];
for (const spec of services) {
  const { name } = spec;
  const tag = spec.env.TRIMNET_THREADS ? ` [TRIMNET_THREADS=${spec.env.TRIMNET_THREADS}]` : '';
  const svc = await startService(models[name].path, spec.env);
  try {
    const h = await get(svc.url, '/health');
    if (h.model.params !== models[name].params) throw new Error(`the service loaded ${h.model.params} params, expected ${models[name].params}`);
    rows.push(await load(svc.url, oneBody, `${name}, 1 sample/request${tag}`));
    if (spec.batch) rows.push(await load(svc.url, batchBody, `${name}, 32 samples/request${tag}`));
    if (spec.job) {
      await post(svc.url, '/admin/job', { kind: 'gemm', size: jobSize });
      const row = await load(svc.url, oneBody, `${name}, 1 sample/request, ${jobSize}² matmulAsync looping${tag}`);
      row.baseline = rows.find((r) => r.label === `${name}, 1 sample/request${tag}`);
      rows.push(row);
      const stopped = await post(svc.url, '/admin/job/stop');
      if (stopped.error) throw new Error(`the background job failed: ${stopped.error}`);
    }
  } finally {
    await svc.stop();
  }
}

// ---- goals
const by = (l) => rows.find((r) => r.label === l);
const u1 = by('unpruned, 1 sample/request');
const p1 = by('pruned, 1 sample/request');
const u32 = by('unpruned, 32 samples/request');
const p32 = by('pruned, 32 samples/request');
const errors = rows.reduce((s, r) => s + r.errors, 0);
const ratio1 = p1.rps / u1.rps;
const ratio32 = p32.rps / u32.rps;
const goals = [
  ['no request fails', `${errors} errors in ${rows.reduce((s, r) => s + r.total, 0)} requests`, errors === 0],
  ['pruned ≥ 2× requests/s of unpruned (1 sample/request)', `${ratio1.toFixed(2)}× (32 samples/request: ${ratio32.toFixed(2)}×)`, ratio1 >= 2],
];
for (const uj of rows.filter((r) => r.baseline)) {
  const rise = uj.p99 - uj.baseline.p99;
  goals.push([
    `p99 rises < 5 ms while a ${jobSize}² matmulAsync loops${uj.label.includes('TRIMNET_THREADS') ? ` (${uj.label.replace(/.*\[/, '[')})` : ''}`,
    `${uj.baseline.p99} → ${uj.p99} ms (${rise >= 0 ? '+' : ''}${rise.toFixed(2)} ms); event-loop delay p99 ${uj.baseline.eldP99} → ${uj.eldP99} ms, max ${uj.eldMax} ms`,
    rise < 5,
  ]);
}
for (const [g, v, ok] of goals) console.log(`${ok ? 'MET ' : 'MISS'} ${g}: ${v}`);

const body = [
  `Service: examples/service (Fastify), one child process on ${HOST}; load: autocannon in the parent, ${connections} connections, ${seconds} s per run (after 1 s warm-up), at most ${maxRequests} requests.`,
  `Models: unpruned ${models.unpruned.sizes.join('-')} (${models.unpruned.params} params, mini-test accuracy ${models.unpruned.accuracy.toFixed(4)}); ` +
    `pruned ${models.pruned.sizes.join('-')} (${models.pruned.params} params, ${((1 - models.pruned.params / models.unpruned.params) * 100).toFixed(1)}% removed, accuracy ${models.pruned.accuracy.toFixed(4)}) by ${pruneHow}.`,
  `Backend: ${t.getBackend().name}; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cores} cores (numbers taken on a busy machine are only indicative). Event-loop delay: the service's perf_hooks.monitorEventLoopDelay (resolution 1 ms), reset before each run.`,
  '',
  mdTable(
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'event-loop delay p99 ms', 'max ms', 'background job'],
    rows.map((r) => [r.label, r.rps.toFixed(0), r.p50, r.p99, r.errors, r.eldP99, r.eldMax, r.job ? `${r.job.kind} ${r.job.size}²: ${r.job.iterations} runs, ${r.job.lastMs} ms each` : '—']),
  ),
  '',
  '## Goals',
  '',
  mdTable(['goal', 'measured', 'met'], goals.map(([g, v, ok]) => [g, v, ok ? 'yes' : 'no'])),
].join('\n');
writeResults('service', 'Example service under load', body);
console.log('wrote bench/results/service.md');
