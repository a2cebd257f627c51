// cholesky64 / solveLower64 entry points (kernels/cpu/dense64.h). Arguments (positional, checked
// here, never trusted):
//   cholesky64(A, n, minPivot) -> { failedAt, pivot }   A (Float64Array n×n) factored in place;
//                                 failedAt is −1, or the first column whose pivot is not positive
//   solveLower64(L, n, X, k, transposed)                 X (Float64Array n×k) ← L⁻¹X or L⁻ᵀX
#include <cmath>

#include "args.h"
#include "bindings.h"
#include "dense64.h"
#include "signatures.h"

namespace trimnet_native {

static Napi::Value Cholesky64(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kCholesky64);
  const int64_t n = argDim(info, 1, "n");
  auto a = argArray<double>(info, 0, "A", checkedMul(env, n, n, "n*n"));
  const double min_pivot = argNumber(info, 2, "minPivot");
  if (!std::isfinite(min_pivot) || min_pivot < 0)
    throw Napi::RangeError::New(env, "Expected a finite minPivot >= 0 but received " + info[2].ToString().Utf8Value());
  double pivot = 0;
  const int64_t failed = trimnet::cholesky64(a.Data(), n, min_pivot, &pivot);
  Napi::Object o = Napi::Object::New(env);
  o.Set("failedAt", Napi::Number::New(env, double(failed)));
  o.Set("pivot", Napi::Number::New(env, pivot));
  return o;
}

static Napi::Value SolveLower64(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kSolveLower64);
  const int64_t n = argDim(info, 1, "n");
  const int64_t k = argDim(info, 3, "k");
  const int64_t nn = checkedMul(env, n, n, "n*n"), nk = checkedMul(env, n, k, "n*k");
  auto l = argArray<double>(info, 0, "L", nn);
  auto x = argArray<double>(info, 2, "X", nk);
  const bool transposed = argBool(info, 4, "transposed");
  // X is written while L is read: refuse shared memory.
  const double* l0 = l.Data();
  const double* x0 = x.Data();
  if (nn > 0 && nk > 0 && l0 < x0 + nk && x0 < l0 + nn) throw Napi::RangeError::New(env, "X must not share memory with L");
  trimnet::solve_lower64(l0, n, x.Data(), k, transposed);
  return env.Undefined();
}

void registerDense64(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, exports, kCholesky64, Cholesky64);
  exportFunction(env, exports, exports, kSolveLower64, SolveLower64);
}

}  // namespace trimnet_native
