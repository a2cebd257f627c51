// Activations for the gpu.js kernels, written in the subset of JavaScript that gpu.js translates
// (to WebAssembly, GLSL or plain JS). Same definitions as src/backend/activation.ts (PyTorch's):
//   identity(x) = x              relu(x) = max(x, 0)         leaky_relu(x) = x > 0 ? x : s·x
//   gelu(x) = x/2 · (1 + erf(x/√2))   (exact erf form, PyTorch's default)
//   tanh(x)                      sigmoid(x) = 1 / (1 + e^-x)
// The activation is chosen by its numeric code (ACTIVATION_CODE in src/backend/types.ts), which
// the kernels receive as a compile-time constant.
//
// gpu.js has no Math.erf, so erf is the Numerical Recipes erfc Chebyshev fit (|error| < 1.2e-7,
// i.e. float32 rounding), the same formula the js reference uses, so the two agree closely.
//
// These functions are handed to gpu.js as source text: keep them to plain arithmetic, `if`,
// and Math.* calls (no ternaries over function calls, no closures, no TS-only syntax).

/** erf(x), float32-accurate (Numerical Recipes' erfc fit). */
export function gpuErf(x: number): number {
  const z = Math.abs(x);
  const t = 1.0 / (1.0 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  if (x >= 0.0) {
    return 1.0 - r;
  }
  return r - 1.0;
}

/** act(code, x) with leaky_relu's slope `slope`. Codes: 0 identity, 1 relu, 2 leaky_relu,
 *  3 gelu, 4 tanh, 5 sigmoid. */
export function gpuActivate(code: number, x: number, slope: number): number {
  if (code === 1) {
    if (x > 0.0) {
      return x;
    }
    return 0.0;
  }
  if (code === 2) {
    if (x > 0.0) {
      return x;
    }
    return x * slope;
  }
  if (code === 3) {
    return 0.5 * x * (1.0 + gpuErf(x * 0.7071067811865476));
  }
  if (code === 4) {
    return Math.tanh(x);
  }
  if (code === 5) {
    return 1.0 / (1.0 + Math.exp(-x));
  }
  return x;
}
