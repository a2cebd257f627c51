// Scalar activations, exactly as PyTorch defines them (GELU is the exact erf form, PyTorch's
// default). Used by the js reference backend and by training (derivatives).

import { type Activation, DEFAULT_LEAKY_SLOPE } from './types.js';

/** erf with |error| < 1.2e-7 (W. J. Cody's rational approximations are overkill for float32;
 *  this is Numerical Recipes' erfc Chebyshev fit, accurate to float32 rounding). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function activate(act: Activation, x: number, slope = DEFAULT_LEAKY_SLOPE): number {
  switch (act) {
    case 'identity':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'leaky_relu':
      return x > 0 ? x : x * slope;
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
  }
}

/** d act(z) / dz, given the pre-activation z and the activation a = act(z). */
export function activateGrad(act: Activation, z: number, a: number, slope = DEFAULT_LEAKY_SLOPE): number {
  switch (act) {
    case 'identity':
      return 1;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leaky_relu':
      return z > 0 ? 1 : slope;
    case 'gelu': {
      const cdf = 0.5 * (1 + erf(z / Math.SQRT2));
      const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
      return cdf + z * pdf;
    }
    case 'tanh':
      return 1 - a * a;
    case 'sigmoid':
      return a * (1 - a);
  }
}
