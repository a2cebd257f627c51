// Internal interface between the dispatcher (gemm.cpp) and the per-ISA kernel files
// (gemm_avx512.cpp, gemm_avx2.cpp, gemm_scalar.cpp). Each ISA file instantiates gemm_impl.h
// with its own vector traits and exports one KernelSet.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gemm.h"
#include "mlp_forward.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define TRIMNET_X86_KERNELS 1
#endif

// AVX-512 micro-kernel shape and blocking (overridable for tuning experiments).
#ifndef TRIMNET_AVX512_MR
#define TRIMNET_AVX512_MR 12
#define TRIMNET_AVX512_NV 2
#define TRIMNET_AVX512_NAME "avx512 12x32"
#endif
#ifndef TRIMNET_AVX512_KC
#define TRIMNET_AVX512_KC 384
#endif
#ifndef TRIMNET_AVX512_MB
#define TRIMNET_AVX512_MB 1152
#endif
#ifndef TRIMNET_AVX512_NB
#define TRIMNET_AVX512_NB 384
#endif

namespace trimnet {

struct KernelSet {
  const char* name;  // e.g. "avx512 12x32"
  void (*gemm)(const GemmParams& p, int nthreads);
  void (*col_stats)(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                    double* zeros, float* max, bool write_back, int nthreads);
  // mlp_forward_one's layers (inputs checked); hidden: scratch, see mlp_forward_impl.h.
  void (*forward_one)(const DenseLayer* layers, int nlayers, const float* x, float* out, float* hidden,
                      int nthreads);
  int64_t (*packed_floats)(int64_t n, int64_t k);                      // pack_weights (gemm.h)
  void (*pack_weights)(const float* w, int64_t n, int64_t k, float* dst);
};

// AᵀB with a small C over a long k, cut into fixed k slices (gemm_ksplit.cpp); false when the
// shape is not one it takes (then the caller runs the packed GEMM).
bool gemm_k_split(const GemmParams& p, int nthreads, void (*kernel)(const GemmParams&, int));

// The run-time chosen set's forward_one (gemm.cpp picks the set).
decltype(KernelSet::forward_one) forward_one_kernel();

extern const KernelSet kernels_scalar;
#ifdef TRIMNET_X86_KERNELS
extern const KernelSet kernels_avx2;
extern const KernelSet kernels_avx512;
#endif

// A 64-byte aligned scratch buffer owned by the calling thread, at least `floats` long; reused
// across calls (no allocation per call once warm). Valid until the same thread asks again.
// Throws std::bad_alloc, or returns null when nothrow (pool workers must not throw: a worker
// without memory takes no work and the caller, who allocated before starting the run, does it).
float* thread_workspace(size_t floats, bool nothrow = false);

}  // namespace trimnet
