// Shared by the stages of the CPU SVD (kernels/cpu/svd/*.cpp; the method is described in
// driver.cpp): the small vector helpers and the Householder reflector every stage uses, the
// bidiagonal form, and the entry points each stage offers the others. The helpers stay inline
// here so each stage compiles them into its own ISA variants (isa.h) as before the split.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "isa.h"

namespace trimnet {
namespace svd_detail {

// True when the environment variable `name` is set to 1.
inline bool env_flag(const char* name) {
  const char* e = std::getenv(name);
  return e && e[0] == '1';
}

// TRIMNET_SVD_LEVEL2=1 keeps the fused level-2 bidiagonalisation and back-transformation (the
// plain versions, for comparisons).
inline const bool g_force_level2 = env_flag("TRIMNET_SVD_LEVEL2");

// ---- small vector helpers (written so the compiler vectorises them) --------------------------

TRIMNET_INLINE float dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) acc[t] += a[j + t] * b[j + t];
  float s = 0;
  for (; j < n; j++) s += a[j] * b[j];
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

TRIMNET_INLINE void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

// y -= alpha * x, then returns y · u (same n)
TRIMNET_INLINE float axpy_dot(float alpha, const float* x, float* y, const float* u, int64_t n) {
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) {
      float val = y[j + t] - alpha * x[j + t];
      y[j + t] = val;
      acc[t] += val * u[j + t];
    }
  float s = 0;
  for (; j < n; j++) {
    float val = y[j] - alpha * x[j];
    y[j] = val;
    s += val * u[j];
  }
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

// y -= alpha * x, then w += beta * y (same n)
TRIMNET_INLINE void axpy_axpy(float alpha, const float* x, float* y, float beta, float* w, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    float val = y[j] - alpha * x[j];
    y[j] = val;
    w[j] += beta * val;
  }
}

// Householder reflector (LAPACK slarfg): given alpha and x[0..len), finds beta, tau, v with
// (I − τ v vᵀ)(alpha; x) = (beta; 0), v = (1; x / (alpha − beta)). x is overwritten by v's
// tail; returns tau, *alpha becomes beta. Works with a strided x.
inline float householder(float* alpha, float* x, int64_t len, int64_t stride) {
  double xnorm2 = 0;
  for (int64_t i = 0; i < len; i++) xnorm2 += double(x[i * stride]) * x[i * stride];
  if (xnorm2 == 0) return 0.f;
  double a = *alpha;
  double beta = -std::copysign(std::sqrt(a * a + xnorm2), a);
  double tau = (beta - a) / beta;
  double scale = 1.0 / (a - beta);
  for (int64_t i = 0; i < len; i++) x[i * stride] = float(x[i * stride] * scale);
  *alpha = float(beta);
  return float(tau);
}

// ---- 1. bidiagonalisation --------------------------------------------------------------------

struct Bidiag {
  std::vector<double> d, e;
  std::vector<float> tauq, taup;
};

// A spin barrier for a thread team of fixed size (the bidiagonalisation teams).
struct SpinBarrier {
  explicit SpinBarrier(int n) : n_(n) {}
  void wait() {
    const int g = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      count_.store(0, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
    // Spin briefly (the partner is usually microseconds away), then give the core away: on an
    // oversubscribed machine the partner may be waiting for this very core.
    for (int spins = 0; gen_.load(std::memory_order_acquire) == g; spins++)
      if (spins > 256) std::this_thread::yield();
  }

 private:
  const int n_;
  std::atomic<int> count_{0};
  std::atomic<int> gen_{0};
};

// Rotations are applied to slab-major copies: ROT_SLAB columns of every row contiguous.
constexpr int ROT_SLAB = 32;

// A zeroed, 64-byte-aligned double buffer.
struct AlignedDoubles {
  std::vector<double> store;
  double* p;
  explicit AlignedDoubles(int64_t count) : store(size_t(count) + 8, 0.0) {
    auto addr = reinterpret_cast<uintptr_t>(store.data());
    p = store.data() + ((64 - addr % 64) % 64) / sizeof(double);
  }
};

// ---- the stages' entry points ----------------------------------------------------------------

// bidiag.cpp / bidiag_blocked.cpp: A (m×n, m >= n) = Q B Pᵀ in place (reflectors in A's storage).
void bidiagonalize_level2(float* A, int64_t m, int64_t n, Bidiag& B, int nthreads);
void bidiagonalize(float* A, int64_t m, int64_t n, Bidiag& B, int nthreads);

// bidiag_qr.cpp: the SVD of B by implicit-shift QR, rotations recorded and applied to Ubᵀ, Vbᵀ.
void bidiagonal_qr(std::vector<double>& d, const std::vector<double>& e_in, double* Ut, double* Vt, int64_t n,
                   int64_t ld, int nthreads, double tol_rel);
bool left_from_right(const std::vector<double>& d0, const std::vector<double>& e0, const std::vector<double>& sigma,
                     const double* Vt, double* Ut, int64_t n, int64_t ld);

// bidiag_dc.cpp: the SVD of B by divide and conquer, for n >= DC_MIN_N. Ub, Vb: n×n float with
// leading dimensions ldu, ldv, columns the singular vectors in the order of sigma (unsorted).
// TRIMNET_SVD_BDQR=1 keeps the bidiagonal QR at every size (the reference, for comparisons);
// TRIMNET_SVD_DC=1 takes divide and conquer at every size (for tests of its small trees). Both
// are read at each call, so a benchmark or a test can alternate them in one process.
constexpr int64_t DC_MIN_N = 64;
void bidiagonal_dc(const std::vector<double>& d, const std::vector<double>& e, int64_t n, float* Ub, int64_t ldu,
                   float* Vb, int64_t ldv, std::vector<double>& sigma);

// back_transform.cpp: X ← R_0 … R_{count−1} X with the reflectors stored in A.
void apply_reflectors(float* X, int64_t rows, int64_t ldx, int64_t cols, int64_t count, int64_t shift,
                      const float* tau, const float* A, int64_t lda, bool left, int nthreads);

// driver.cpp: steps 1–4 for m >= n (A overwritten). qr_first.cpp: step 0 for tall A, given as Aᵀ.
void svd_tall(float* A, int64_t m, int64_t n, bool full, float* U, float* S, float* V);
void svd_qr(float* Ac, int64_t m, int64_t n, bool full, float* U, float* S, float* V);
bool use_qr_first(int64_t m, int64_t n);

}  // namespace svd_detail
}  // namespace trimnet
