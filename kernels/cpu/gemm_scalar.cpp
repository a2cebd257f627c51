// Portable instantiation of gemm_impl.h: one float per "vector", a 4×4 register tile. Used on
// non-x86 machines and x86 CPUs without AVX2 (the compiler may still vectorise it).
#include <cmath>
#include <cstring>

#include "gemm_impl.h"
#include "mlp_forward_impl.h"

namespace {

struct Scalar {
  using V = float;
  static constexpr int W = 1;
  static constexpr int64_t KC = 256;
  static constexpr int64_t MB = 256;
  static constexpr int64_t NB = 256;
  static constexpr int DIRECT_R = 4, DIRECT_NV = 4;  // the unpacked small-product tile (rows × vectors)
  static V zero() { return 0.f; }
  static V set1(float x) { return x; }
  static V load(const float* p) { return *p; }
  static V loadu(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static void storeu(float* p, V v) { *p = v; }
  static V loadn(const float* p, int n) { return n > 0 ? *p : 0.f; }
  static void storen(float* p, V v, int n) {
    if (n > 0) *p = v;
  }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V max(V a, V b) { return a > b ? a : b; }  // as x86 max: b when either is NaN
  static V min(V a, V b) { return a < b ? a : b; }
  static V abs(V a) { return std::fabs(a); }
  static V copysign(V mag, V sgn) { return std::copysign(mag, sgn); }
  static V round(V a) { return std::nearbyint(a); }
  static V pow2n(V n) {
    if (n != n) return n;
    int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float r;
    std::memcpy(&r, &bits, 4);
    return r;
  }
  static V gt0_select(V x, V a, V b) { return x > 0.f ? a : b; }
  static V lt_select(V x, V t, V a, V b) { return x < t ? a : b; }
  static V is_zero(V x) { return x == 0.f ? 1.f : 0.f; }
  static float hsum(V a) { return a; }
  static void transpose(V (&)[1]) {}  // a 1×1 block
};

using D = Driver<Scalar, 4, 4>;
using F = ForwardOne<Scalar, D::G>;

}  // namespace

namespace trimnet {
const KernelSet kernels_scalar = {"scalar 4x4", &D::gemm, &D::col_stats, &F::run, &D::G::packed_floats, &D::G::pack_weights};
}  // namespace trimnet
