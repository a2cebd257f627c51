// A symmetric positive definite test matrix, B Bᵀ / n + shift·I with B's n² entries drawn from
// `next` (row by row): eigenvalues in [shift, shift + O(n)·max|b|²/n], so for shift > 0 it is SPD
// with a modest condition number. (Plain JS: the child-process checks use it too.)
export function spdMatrix(n, next, shift = 0.5) {
  const b = Float64Array.from({ length: n * n }, () => next());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? shift : 0);
    }
  return a;
}
