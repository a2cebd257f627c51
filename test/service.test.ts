// The example service (examples/service), driven in-process with fastify.inject: no network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '../examples/service/app.js';
import { MLP } from '../src/nn/mlp.js';
import { Tensor } from '../src/tensor.js';
import { Rng } from '../src/rng.js';

const model = MLP.create({ sizes: [784, 64, 32, 10], activation: 'relu', seed: 3 });
const rng = new Rng(7);
const sample = () => Array.from({ length: 784 }, () => rng.uniform(0, 1));
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildService({ model, modelSource: 'test', bodyLimit: 256 * 1024, maxBatch: 16, admin: true });
});
afterAll(async () => {
  await app.close();
});

async function predict(payload: unknown) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const r = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: body });
  return { status: r.statusCode, json: r.json() as Record<string, unknown> };
}

describe('service answers', () => {
  it('GET /health names the model and backend', async () => {
    const r = await app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j.status).toBe('ok');
    expect(j.model.layerSizes).toEqual([784, 64, 32, 10]);
    expect(j.model.params).toBe(model.paramCount());
    expect(typeof j.backend).toBe('string');
  });

  it('one input: class, label, logits and probabilities match the model', async () => {
    const x = sample();
    const { status, json } = await predict({ input: x });
    expect(status).toBe(200);
    const ref = model.forward(new Tensor(Float32Array.from(x), [1, 784]));
    const logits = json.logits as number[];
    expect(logits).toHaveLength(10);
    logits.forEach((v, j) => expect(v).toBeCloseTo(ref.data[j]!, 4));
    expect(json.class).toBe(model.predict(new Tensor(Float32Array.from(x), [1, 784]))[0]);
    const p = json.probabilities as number[];
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p.indexOf(Math.max(...p))).toBe(json.class);
    expect(typeof json.label).toBe('string');
  });

  it('many inputs: one answer per row, equal to the single-sample answers', async () => {
    const xs = [sample(), sample(), sample()];
    const { status, json } = await predict({ inputs: xs });
    expect(status).toBe(200);
    expect(json.classes).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const one = await predict({ input: xs[i] });
      expect((json.classes as number[])[i]).toBe(one.json.class);
      (json.logits as number[][])[i]!.forEach((v, j) => expect(v).toBeCloseTo((one.json.logits as number[])[j]!, 4));
    }
  });

  it('/metrics reports event-loop delay', async () => {
    const r = await app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j.eventLoopDelayMs.p99).toBeGreaterThanOrEqual(0);
    expect(j.eventLoopDelayMs.max).toBeGreaterThanOrEqual(j.eventLoopDelayMs.p50);
    expect(j.job).toBeNull();
  });

  it('a background async job runs and stops while predictions keep working', async () => {
    const s = await app.inject({ method: 'POST', url: '/admin/job', payload: { kind: 'gemm', size: 96 } });
    expect(s.json().started).toBe(true);
    const { status } = await predict({ input: sample() });
    expect(status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const stop = await app.inject({ method: 'POST', url: '/admin/job/stop' });
    expect(stop.json().stopped).toBe(true);
    expect(stop.json().error).toBeNull();
    expect(stop.json().iterations).toBeGreaterThan(0);
    const bad = await app.inject({ method: 'POST', url: '/admin/job', payload: { kind: 'fft' } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('service validation: 400 with a clear message, never a 500', () => {
  const x = () => sample();
  const cases: [string, unknown, RegExp][] = [
    ['too short', { input: x().slice(1) }, /Expected 784 numbers for body\.input/],
    ['too long', { input: [...x(), 0] }, /Expected 784 numbers for body\.input/],
    ['a string entry', { input: [...x().slice(1), '0.5'] }, /Expected a finite number for body\.input\[783\]/],
    ['a null entry (NaN from JSON.stringify)', { input: [...x().slice(1), null] }, /finite number for body\.input\[783\]/],
    ['a boolean entry', { input: [true, ...x().slice(1)] }, /finite number for body\.input\[0\]/],
    ['a nested array', { input: [[1], ...x().slice(1)] }, /finite number/],
    ['input not an array', { input: 'pixels' }, /Expected an array for body\.input/],
    ['neither input nor inputs', { foo: 1 }, /Expected only "input" or "inputs"|exactly one of/],
    ['both input and inputs', { input: x(), inputs: [x()] }, /exactly one of/],
    ['empty object', {}, /exactly one of/],
    ['empty batch', { inputs: [] }, /Expected 1 to 16 inputs/],
    ['batch too large', { inputs: Array.from({ length: 17 }, () => [0]) }, /Expected 1 to 16 inputs/],
    ['a short row in a batch', { inputs: [x(), x().slice(2)] }, /Expected 784 numbers for body\.inputs\[1\]/],
    ['an array body', [x()], /JSON object/],
  ];
  for (const [name, payload, msg] of cases) {
    it(name, async () => {
      const { status, json } = await predict(payload);
      expect(status).toBe(400);
      expect(json.message).toMatch(msg);
    });
  }

  it('overflow to Infinity (1e400) is refused', async () => {
    const { status, json } = await predict(`{"input":[${x().slice(1).join(',')},1e400]}`);
    expect(status).toBe(400);
    expect(json.message).toMatch(/finite number for body\.input\[783\]/);
  });

  it('NaN / Infinity literals are not JSON', async () => {
    for (const lit of ['NaN', 'Infinity', '-Infinity']) {
      const { status, json } = await predict(`{"input":[${x().slice(1).join(',')},${lit}]}`);
      expect(status).toBe(400);
      expect(json.message).toMatch(/not valid JSON/);
    }
  });

  it('truncated JSON', async () => {
    const { status } = await predict(`{"input":[1,2,3`);
    expect(status).toBe(400);
  });

  it('an oversized body', async () => {
    const big = JSON.stringify({ inputs: Array.from({ length: 16 }, () => x()) }) + ' '.repeat(300 * 1024);
    const { status, json } = await predict(big);
    expect(status).toBe(400);
    expect(json.message).toMatch(/at most 262144 bytes/);
  });

  it('a non-JSON content type', async () => {
    const r = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(r.statusCode).toBe(400);
  });

  it('the model still answers after every bad request', async () => {
    const { status } = await predict({ input: x() });
    expect(status).toBe(200);
  });
});
