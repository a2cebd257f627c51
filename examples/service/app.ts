// A small prediction service on Fastify: one model, loaded once, answering
//   POST /predict   { "input": [784 numbers] }            -> { class, label, logits, probabilities }
//                   { "inputs": [[784 numbers], ...] }     -> { classes, labels, logits, probabilities }
//   GET  /health    -> { status, model: { layerSizes, params }, backend }
//   GET  /metrics   -> event-loop delay (perf_hooks.monitorEventLoopDelay) and the background job
// and, when built with `admin: true` (env SERVICE_ADMIN=1), a background job that keeps a large
// async GEMM or SVD running in this process, to show that it never blocks the event loop:
//   POST /admin/job { "kind": "gemm" | "svd", "size": 2048 }   POST /admin/job/stop
//   POST /admin/metrics/reset
//
// The model is frozen when the service is built (mlp.freeze(): a private copy with its weights
// packed once for the kernels), so the service answers what was loaded even if the caller goes on
// changing its MLP. One input takes the no-allocation path (forwardOne); a batch, one forward.
// Every body is validated by JSON schema before it reaches the model: wrong length, non-numbers,
// strings, nulls, numbers that overflow to Infinity and bodies over the limit end in 400 with a
// message that says what was expected.

import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { FASHION_MNIST_CLASSES, MLP, Tensor, TrimnetError, getBackend, matmulAsync, svdAsync, Rng } from '../../src/index.js';

export interface ServiceOptions {
  model: MLP;
  /** Where the model came from (a path, or 'trained on the bundled mini data'). */
  modelSource?: string;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Most inputs in one `inputs` request (default 256). */
  maxBatch?: number;
  /** Class names for the labels in answers (default: Fashion-MNIST's, when the model has 10 outputs). */
  classes?: readonly string[];
  /** Register the /admin routes (background job, metrics reset). Default false. */
  admin?: boolean;
  /** Start the background job at once. */
  job?: { kind: 'gemm' | 'svd'; size: number };
  logger?: boolean;
}

interface JobState {
  kind: 'gemm' | 'svd';
  size: number;
  running: boolean;
  iterations: number;
  lastMs: number;
  error: string | null;
  done: Promise<void>;
}

function ms(ns: number): number {
  return Math.round((ns / 1e6) * 1000) / 1000;
}

function softmax(z: ArrayLike<number>, n: number): number[] {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (z[i]! > m) m = z[i]!;
  const p = new Array<number>(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += p[i] = Math.exp(z[i]! - m);
  for (let i = 0; i < n; i++) p[i]! /= s;
  return p;
}

export async function buildService(opts: ServiceOptions): Promise<FastifyInstance> {
  const { bodyLimit = 4 << 20, maxBatch = 256, admin = false } = opts;
  const model = opts.model.freeze();
  const nIn = model.inputSize;
  const nOut = model.outputSize;
  const classes = opts.classes ?? (nOut === FASHION_MNIST_CLASSES.length ? FASHION_MNIST_CLASSES : Array.from({ length: nOut }, (_, i) => String(i)));

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    ajv: {
      // Fastify coerces "1.5" -> 1.5 and null -> 0 by default: refuse instead, and refuse
      // numbers that JSON.parse turned into Infinity (1e400).
      customOptions: { coerceTypes: false, strictNumbers: true, allErrors: false, removeAdditional: false },
    },
  });

  const eld: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  let job: JobState | null = opts.job ? startJob(opts.job.kind, opts.job.size) : null;
  app.addHook('onClose', async () => {
    eld.disable();
    if (job) {
      job.running = false;
      await job.done;
    }
  });

  const sample = { type: 'array', minItems: nIn, maxItems: nIn, items: { type: 'number' } } as const;
  const predictSchema = {
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        input: sample,
        inputs: { type: 'array', minItems: 1, maxItems: maxBatch, items: sample },
      },
      oneOf: [{ required: ['input'] }, { required: ['inputs'] }],
    },
  };

  // Errors: schema failures, bad JSON and oversized bodies are the client's fault -> 400 with one clear line.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
      return reply.code(400).send({ error: 'Bad Request', code: 'E_VALIDATION', message: 'Expected a JSON object for body' });
    }
    if (err.validation) {
      const v = err.validation[0];
      const where = `body${(v?.instancePath ?? '').split('/').filter(Boolean).map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('')}`;
      let msg = err.message;
      if (v?.keyword === 'minItems' || v?.keyword === 'maxItems') {
        const limit = (v.params as { limit?: number }).limit;
        msg = where === 'body.inputs' ? `Expected 1 to ${maxBatch} inputs for body.inputs` : `Expected ${nIn} numbers for ${where} (limit ${limit})`;
      } else if (v?.keyword === 'type') {
        msg = `Expected a finite number for ${where}`;
        if ((v.params as { type?: string }).type === 'array') msg = `Expected an array for ${where}`;
        if ((v.params as { type?: string }).type === 'object') msg = `Expected a JSON object for body`;
      } else if (v?.keyword === 'oneOf' || v?.keyword === 'required') {
        msg = 'Expected exactly one of "input" (one sample) or "inputs" (a batch) in the body';
      } else if (v?.keyword === 'additionalProperties') {
        msg = `Expected only "input" or "inputs" in the body but received "${(v.params as { additionalProperty?: string }).additionalProperty}"`;
      }
      return reply.code(400).send({ error: 'Bad Request', code: 'E_VALIDATION', message: msg });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(400).send({ error: 'Bad Request', code: 'E_BODY_TOO_LARGE', message: `Expected a body of at most ${bodyLimit} bytes` });
    }
    if (err instanceof TrimnetError) {
      return reply.code(400).send({ error: 'Bad Request', code: err.code, message: err.message });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(400).send({ error: 'Bad Request', code: err.code ?? 'E_REQUEST', message: err.message });
    }
    app.log.error(err);
    return reply.code(500).send({ error: 'Internal Server Error', code: 'E_INTERNAL', message: 'The model failed to answer; see the server log' });
  });

  // One reusable input buffer for the single-sample path (requests are handled one at a time
  // on the event loop, and forwardOne is synchronous).
  const one = new Float32Array(nIn);

  app.post<{ Body: { input?: number[]; inputs?: number[][] } }>('/predict', { schema: predictSchema }, async (req) => {
    const body = req.body;
    if (body.input) {
      const x = body.input;
      for (let i = 0; i < nIn; i++) one[i] = x[i]!;
      const z = model.forwardOne(one);
      let arg = 0;
      for (let j = 1; j < nOut; j++) if (z[j]! > z[arg]!) arg = j;
      return { class: arg, label: classes[arg], logits: Array.from(z.subarray(0, nOut)), probabilities: softmax(z, nOut) };
    }
    const rows = body.inputs!;
    const xs = new Float32Array(rows.length * nIn);
    rows.forEach((r, i) => xs.set(r, i * nIn));
    const z = model.forward(new Tensor(xs, [rows.length, nIn]));
    const out = { classes: [] as number[], labels: [] as string[], logits: [] as number[][], probabilities: [] as number[][] };
    for (let i = 0; i < rows.length; i++) {
      const zi = z.data.subarray(i * nOut, (i + 1) * nOut);
      let arg = 0;
      for (let j = 1; j < nOut; j++) if (zi[j]! > zi[arg]!) arg = j;
      out.classes.push(arg);
      out.labels.push(classes[arg]!);
      out.logits.push(Array.from(zi));
      out.probabilities.push(softmax(zi, nOut));
    }
    return out;
  });

  app.get('/health', async () => ({
    status: 'ok',
    model: { source: opts.modelSource ?? 'given', layerSizes: model.layerSizes(), params: model.paramCount() },
    backend: getBackend().name,
  }));

  app.get('/metrics', async () => ({
    eventLoopDelayMs: { min: ms(eld.min), mean: ms(eld.mean), p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), samples: eld.count },
    job: job ? { kind: job.kind, size: job.size, running: job.running, iterations: job.iterations, lastMs: job.lastMs, error: job.error } : null,
    memory: { rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) },
  }));

  if (admin) {
    app.post('/admin/metrics/reset', async () => {
      eld.reset();
      return { ok: true };
    });
    app.post<{ Body: { kind?: 'gemm' | 'svd'; size?: number } }>(
      '/admin/job',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { kind: { type: 'string', enum: ['gemm', 'svd'] }, size: { type: 'integer', minimum: 2, maximum: 4096 } },
          },
        },
      },
      async (req) => {
        if (job?.running) return { started: false, job: { kind: job.kind, size: job.size, iterations: job.iterations } };
        job = startJob(req.body?.kind ?? 'gemm', req.body?.size ?? 2048);
        return { started: true, job: { kind: job.kind, size: job.size } };
      },
    );
    app.post('/admin/job/stop', async () => {
      if (!job) return { stopped: false };
      job.running = false;
      await job.done;
      return { stopped: true, iterations: job.iterations, error: job.error };
    });
  }

  return app;
}

/** Keeps a large async GEMM (or SVD) running on the libuv pool until `running` is cleared. */
export function startJob(kind: 'gemm' | 'svd', size: number): JobState {
  const rng = new Rng(1);
  const a = new Tensor(Float32Array.from({ length: size * size }, () => rng.normal()), [size, size]);
  const b = new Tensor(Float32Array.from({ length: size * size }, () => rng.normal()), [size, size]);
  const state: JobState = { kind, size, running: true, iterations: 0, lastMs: 0, error: null, done: Promise.resolve() };
  state.done = (async () => {
    while (state.running) {
      const t0 = performance.now();
      try {
        if (kind === 'gemm') await matmulAsync(a, b);
        else await svdAsync(a);
      } catch (err) {
        state.error = err instanceof Error ? err.message : String(err);
        state.running = false;
        return;
      }
      state.lastMs = Math.round(performance.now() - t0);
      state.iterations++;
    }
  })();
  return state;
}
