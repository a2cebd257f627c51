// AVX-512 (F/VL/BW/DQ) instantiation of gemm_impl.h. This file alone is compiled with
// -mavx512f ... (CMakeLists.txt) and is only called when cpuid says the CPU and OS support it.
// Micro-kernel: 12×32 (24 zmm accumulators, 2 B vectors, A broadcast from memory).
#include "gemm_internal.h"
#ifdef TRIMNET_X86_KERNELS
#include <immintrin.h>

#include "gemm_impl.h"
#include "mlp_forward_impl.h"

namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int W = 16;
  static constexpr int64_t KC = TRIMNET_AVX512_KC;
  static constexpr int64_t MB = TRIMNET_AVX512_MB;
  static constexpr int64_t NB = TRIMNET_AVX512_NB;
  static constexpr int DIRECT_R = 12, DIRECT_NV = 2;  // the unpacked small-product tile (rows × vectors)
  static __mmask16 mask(int n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u); }
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void storen(float* p, V v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V abs(V a) { return _mm512_abs_ps(a); }
  static V copysign(V mag, V sgn) {
    __m512i s = _mm512_set1_epi32(int(0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(s, _mm512_castps_si512(mag)),
                                               _mm512_and_si512(s, _mm512_castps_si512(sgn))));
  }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2n(V n) {
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static V gt0_select(V x, V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_GT_OQ), b, a); }
  static V lt_select(V x, V t, V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_LT_OQ), b, a); }
  static V is_zero(V x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_EQ_OQ), set1(1.f)); }
  static float hsum(V a) { return _mm512_reduce_add_ps(a); }
  // r[i][j] -> r[j][i] for a 16×16 block: pairs interleaved, then 4×4 blocks within each 128-bit
  // lane, then the lanes gathered (out row 4L+j = lane L of r[j], r[4+j], r[8+j], r[12+j]).
  static void transpose(V (&r)[16]) {
    V t[16];
    for (int i = 0; i < 8; i++) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
      r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
      V u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
      V v0 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), v1 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
      t[j] = _mm512_shuffle_f32x4(u0, v0, 0x88);
      t[4 + j] = _mm512_shuffle_f32x4(u1, v1, 0x88);
      t[8 + j] = _mm512_shuffle_f32x4(u0, v0, 0xDD);
      t[12 + j] = _mm512_shuffle_f32x4(u1, v1, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
  }
};

using D = Driver<Avx512, TRIMNET_AVX512_MR, TRIMNET_AVX512_NV>;
using F = ForwardOne<Avx512, D::G>;

}  // namespace

namespace trimnet {
const KernelSet kernels_avx512 = {TRIMNET_AVX512_NAME, &D::gemm, &D::col_stats, &F::run, &D::G::packed_floats, &D::G::pack_weights};
}  // namespace trimnet
#endif
