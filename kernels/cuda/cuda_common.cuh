// Shared by the CUDA kernel files: one cudaCheck macro that turns every CUDA error into a
// C++ exception carrying file:line (the addon turns it into a JS exception at the binding),
// device-side activations with the codes of kernels/cpu/gemm.h, and a scoped device scratch
// allocation from the stream-ordered pool (cudaMallocAsync: no device-wide sync per call).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "cuda_kernels.h"
#include "gemm.h"

namespace trimnet {
namespace cuda {

[[noreturn]] inline void throwCuda(cudaError_t err, const char* expr, const char* file, int line) {
  throw CudaError(std::string("CUDA error ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ") in " +
                  expr + " at " + file + ":" + std::to_string(line));
}

#define cudaCheck(expr)                                                                   \
  do {                                                                                    \
    cudaError_t cuda_check_err_ = (expr);                                                 \
    if (cuda_check_err_ != cudaSuccess) ::trimnet::cuda::throwCuda(cuda_check_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: configuration errors show up here, not at the launch.
#define cudaCheckLaunch() cudaCheck(cudaGetLastError())

// The stream every entry point runs on: one per host thread, so calls from the libuv pool run
// concurrently with calls from the main thread.
inline cudaStream_t stream() { return cudaStreamPerThread; }

// A device allocation from the stream-ordered pool, freed (into the pool) when it leaves scope.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : bytes_(bytes) {
    if (bytes_ > 0) cudaCheck(cudaMallocAsync(&ptr_, bytes_, stream()));
  }
  ~Scratch() {
    if (ptr_) cudaFreeAsync(ptr_, stream());  // cannot throw from a destructor; an error here resurfaces at the next check
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

__device__ __forceinline__ float activateDevice(int act, float x, float slope) {
  switch (act) {
    case ACT_RELU: return x > 0.f ? x : 0.f;
    case ACT_LEAKY_RELU: return x > 0.f ? x : x * slope;
    case ACT_GELU: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case ACT_TANH: return tanhf(x);
    case ACT_SIGMOID: return 1.f / (1.f + expf(-x));
    default: return x;
  }
}

inline unsigned ceilDiv(long long a, long long b) { return static_cast<unsigned>((a + b - 1) / b); }

}  // namespace cuda
}  // namespace trimnet
