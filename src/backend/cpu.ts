// The `cpu` backend: the native addon's C++ kernels (kernels/cpu), called through Node-API.
// Thin: options are turned into positional arguments (addon-api.ts); the addon re-checks
// everything, and its failures become typed errors (native-error.ts). Small float64 solves and
// short finite checks stay in the js loops: below those sizes the call costs more than it saves.

import { gemmArgs, type NativeAddon, type SvdArrays } from './addon-api.js';
import { checkCholesky, checkColStats, checkGemm, checkSolveLower, checkSvd } from './check.js';
import { cholesky64Js, firstNonFiniteJs, solveLower64Js } from './dense64-js.js';
import { ArgumentError } from '../errors.js';
import { callNative, callNativeAsync, fromNative } from './native-error.js';
import { ACTIVATION_CODE, DEFAULT_LEAKY_SLOPE, type Backend, type SvdResult } from './types.js';

const NATIVE_MIN_CHOLESKY = 48; // n
const NATIVE_MIN_SOLVE = 1 << 15; // n·n·k
const NATIVE_MIN_FINITE = 1 << 14; // elements

const svdResult = (r: SvdArrays, m: number, n: number, full: boolean): SvdResult => ({ U: r.U, S: r.S, V: r.V, m, n, full });

export function createCpuBackend(addon: NativeAddon): Backend {
  return {
    name: 'cpu',
    gemm(m, n, k, a, b, c, opts = {}) {
      checkGemm(m, n, k, a, b, c, opts);
      callNative(() => addon.gemm(...gemmArgs(m, n, k, a, b, c, opts, opts.bias ?? null)));
    },
    gemmAsync(m, n, k, a, b, c, opts = {}) {
      return callNativeAsync(() => {
        checkGemm(m, n, k, a, b, c, opts);
        return addon.gemmAsync(...gemmArgs(m, n, k, a, b, c, opts, opts.bias ?? null));
      });
    },
    colStats(x, rows, cols, act, acc, opts = {}) {
      checkColStats(x, rows, cols, act, acc);
      callNative(() =>
        addon.colStats(x, rows, cols, ACTIVATION_CODE[act], opts.leakySlope ?? DEFAULT_LEAKY_SLOPE, acc.sum, acc.sumAbs, acc.zeros, acc.max, opts.writeBack ?? false),
      );
      acc.count += rows;
    },
    svd(a, m, n, full) {
      checkSvd(a, m, n, full);
      return svdResult(callNative(() => addon.svd(a, m, n, full)), m, n, full);
    },
    async svdAsync(a, m, n, full) {
      checkSvd(a, m, n, full);
      return svdResult(await callNativeAsync(() => addon.svdAsync(a, m, n, full)), m, n, full);
    },
    cholesky64(a, n, minPivot) {
      checkCholesky(a, n, minPivot);
      if (n < NATIVE_MIN_CHOLESKY) return cholesky64Js(a, n, minPivot);
      return callNative(() => addon.cholesky64(a, n, minPivot));
    },
    solveLower64(l, n, x, k, transposed) {
      checkSolveLower(l, n, x, k);
      if (n * n * k < NATIVE_MIN_SOLVE) solveLower64Js(l, n, x, k, transposed);
      else callNative(() => addon.solveLower64(l, n, x, k, transposed));
    },
    firstNonFinite(x) {
      if (x.length < NATIVE_MIN_FINITE) return firstNonFiniteJs(x);
      return callNative(() => addon.firstNonFinite(x));
    },
    fuseForward(layers, frozen = false) {
      if (layers.length === 0) throw new ArgumentError('fuseForward needs at least one layer');
      const sizes = [layers[0]!.inSize, ...layers.map((l) => l.outSize)];
      const plan = callNative(() =>
        addon.mlpPlan(
          layers.map((l) => l.weight),
          layers.map((l) => l.bias),
          sizes,
          layers.map((l) => ACTIVATION_CODE[l.activation]),
          layers.map((l) => l.leakySlope),
          frozen,
        ),
      );
      return {
        one(x, out) {
          try {
            return addon.mlpForwardOne(plan, x, out);
          } catch (err) {
            throw fromNative(err);
          }
        },
        rows(x, rows, out) {
          try {
            return addon.mlpForwardRows(plan, x, rows, out);
          } catch (err) {
            throw fromNative(err);
          }
        },
      };
    },
  };
}
