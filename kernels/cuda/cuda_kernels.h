// The CUDA kernels' host-side interface, plain C++ (no CUDA headers), used by the addon
// (native/cuda_binding.cpp) and the GPU check driver (bench/gpu/driver.cu).
//
// Conventions are those of kernels/cpu/gemm.h: row-major, densely packed, activation codes
// shared with src/backend/types.ts. Every function throws CudaError (file:line inside) on any
// CUDA error; nothing is ignored. Work runs on the calling thread's own stream
// (cudaStreamPerThread) and each entry point returns after its results are in place.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gemm.h"

namespace trimnet {
namespace cuda {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "ok", or why the device can't be used ("no CUDA driver/device: <cudaGetErrorString>").
// Probed once; never throws.
const std::string& status();

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  int sm_count = 0;
  size_t total_mem = 0, free_mem = 0;
  int driver_version = 0, runtime_version = 0;
  size_t smem_per_sm = 0, l2_bytes = 0;
};
DeviceInfo device_info();

// Plain device memory (cudaMalloc / cudaFree), for buffers that live as long as their owner.
void* device_alloc(size_t bytes);
void device_free(void* p) noexcept;
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_device(void* dst, const void* src, size_t bytes);  // device to device
void synchronize();

// ---- GEMM (gemm.cu) ----------------------------------------------------------------------
// All pointers in p are device pointers. C = act(alpha·op(A)·op(B) + beta·C + bias).
enum class GemmKernel { Tiled, Naive, TF32 };
void gemm_device(const GemmParams& p, GemmKernel kernel = GemmKernel::Tiled);

// ---- column statistics (colstats.cu) ---------------------------------------------------------
// x, sum, sum_abs, zeros, max are device pointers; the statistics are added into them.
void col_stats_device(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                      double* zeros, float* max, bool write_back);
// The plain version (one thread per column) the fast one is checked against.
void col_stats_naive_device(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                            double* zeros, float* max, bool write_back);

// ---- SVD (svd.cu) ----------------------------------------------------------------------------
// Thin SVD of host A[m×n]: U m×p, S p (descending), V n×p, p = min(m, n); A = U diag(S) Vᵀ.
// One-sided Jacobi on the device (round-robin parallel ordering, float64 storage).
struct SvdStats {
  int sweeps = 0;  // sweeps run, the last one rotating nothing (at most 60)
};
SvdStats svd_host(const float* a, int64_t m, int64_t n, float* u, float* s, float* v);

// ---- host-level GEMM / colStats (runtime.cu) -------------------------------------------------
// Each operand is either on the host (copied in, and C copied back) or already on the device.
struct Operand {
  const float* ptr = nullptr;
  bool on_device = false;
};
struct HostGemm {
  int64_t m = 0, n = 0, k = 0;
  Operand a, b, bias;
  float* c = nullptr;
  bool c_on_device = false;
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 0.f;
  int act = ACT_IDENTITY;
  float slope = 0.01f;
  bool allow_tf32 = false;
};
void gemm_host(const HostGemm& g);

void col_stats_host(float* x, bool x_on_device, int64_t rows, int64_t cols, int act, float slope, double* sum,
                    double* sum_abs, double* zeros, float* max, bool write_back);

}  // namespace cuda
}  // namespace trimnet
