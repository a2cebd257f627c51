// Retrieval: blocked GEMM scoring equals a brute-force n×n computation; CSLS by hand on a tiny case.
import { describe, expect, it } from 'vitest';
import { retrieval } from '../src/align/metrics.js';
import { Tensor } from '../src/tensor.js';

function cosMatrix(Q: Tensor, K: Tensor): number[][] {
  const unit = (t: Tensor) => t.toArray().map((r) => {
    const n = Math.hypot(...r);
    return r.map((x) => (n > 0 ? x / n : 0));
  });
  const q = unit(Q);
  const k = unit(K);
  return q.map((a) => k.map((b) => a.reduce((s, x, i) => s + x * b[i]!, 0)));
}

/** P@1/5/10 from a full score matrix: rank = keys scoring strictly higher than the partner. */
function brute(scores: number[][]): { p1: number; p5: number; p10: number } {
  const n = scores.length;
  let h1 = 0;
  let h5 = 0;
  let h10 = 0;
  scores.forEach((row, i) => {
    const rank = row.filter((v) => v > row[i]!).length;
    if (rank < 1) h1++;
    if (rank < 5) h5++;
    if (rank < 10) h10++;
  });
  return { p1: h1 / n, p5: h5 / n, p10: h10 / n };
}

function cslsMatrix(Q: Tensor, K: Tensor, k: number): number[][] {
  const s = cosMatrix(Q, K);
  const topMean = (v: number[]) => [...v].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0) / k;
  const rQ = s.map((row) => topMean(row)); // r_K(Q_i): over keys
  const rK = s[0]!.map((_, j) => topMean(s.map((row) => row[j]!))); // r_Q(K_j): over queries
  return s.map((row, i) => row.map((v, j) => 2 * v - rQ[i]! - rK[j]!));
  void n;
}

describe('retrieval', () => {
  const n = 97;
  const d = 6;
  const K = Tensor.randn([n, d], 11);
  const noise = Tensor.randn([n, d], 12).scale(0.9);
  const Q = K.add(noise);

  for (const blockRows of [1, 7, 32, 97, 500]) {
    it(`cosine, blocks of ${blockRows} rows, equals brute force`, () => {
      const r = retrieval(Q, K, { metric: 'cosine', blockRows });
      const b = brute(cosMatrix(Q, K));
      expect(r.p1).toBeCloseTo(b.p1, 10);
      expect(r.p5).toBeCloseTo(b.p5, 10);
      expect(r.p10).toBeCloseTo(b.p10, 10);
      expect(r.p1).toBeGreaterThan(0.1); // the noisy copies are findable: the test means something
    });
    it(`csls (k = 10), blocks of ${blockRows} rows, equals brute force`, () => {
      const r = retrieval(Q, K, { metric: 'csls', blockRows });
      const b = brute(cslsMatrix(Q, K, 10));
      expect(r.p1).toBeCloseTo(b.p1, 10);
      expect(r.p5).toBeCloseTo(b.p5, 10);
      expect(r.p10).toBeCloseTo(b.p10, 10);
    });
  }

  it('CSLS by hand on a 3×3 case (k = 2)', () => {
    // Keys: k0 = (1, 0), k1 = (0.6, 0.8), k2 = (0.8, 0.6).
    // Queries: q0 = (0.96, 0.28), q1 = (0.5, 0.866), q2 = (0.8, 0.6).
    const K = Tensor.fromRows([[1, 0], [0.6, 0.8], [0.8, 0.6]]);
    const Q = Tensor.fromRows([[0.96, 0.28], [0.5, 0.866], [0.8, 0.6]]);
    const s = cosMatrix(Q, K);
    // With k = 2: r_K(q_i) = mean of q_i's two best keys, r_Q(k_j) = mean of k_j's two best queries.
    const top2 = (v: number[]) => [...v].sort((a, b) => b - a).slice(0, 2).reduce((a, b) => a + b, 0) / 2;
    const rQ = s.map(top2);
    const rK = [0, 1, 2].map((j) => top2(s.map((r) => r[j]!)));
    const csls = s.map((row, i) => row.map((v, j) => 2 * v - rQ[i]! - rK[j]!));
    const hand = brute(csls);
    const r = retrieval(Q, K, { metric: 'csls', k: 2 });
    expect(r.p1).toBeCloseTo(hand.p1, 10);
    // q0's best is k0 (cos 0.96), q1's is k1, q2 is k2 itself: every partner ranks first.
    expect(retrieval(Q, K, { metric: 'cosine' }).p1).toBeCloseTo(1, 10);
    expect(r.p1).toBeCloseTo(1, 10);
  });

  it('a hub: cosine misses, CSLS recovers', () => {
    // Key 0 is the hub: every query's cosine is highest with it.
    const K = Tensor.fromRows([[1, 1, 1], [1, 0.2, 0], [0, 1, 0.2], [0.2, 0, 1]]);
    const Q = Tensor.fromRows([[1, 1, 1], [1, 0.55, 0.45], [0.45, 1, 0.55], [0.55, 0.45, 1]]);
    const cos = retrieval(Q, K, { metric: 'cosine' });
    const csls = retrieval(Q, K, { metric: 'csls', k: 2 });
    expect(cos.p1).toBeCloseTo(1 / 4, 10); // only the hub's own query hits
    expect(csls.p1).toBeGreaterThan(cos.p1);
    expect(csls.p1).toBeCloseTo(brute(cslsMatrix(Q, K, 2)).p1, 10);
  });

  it('identical spaces give P@1 = 1', () => {
    expect(retrieval(K, K).p1).toBe(1);
  });
});
