// CPU emulation of the part of the CUDA runtime and device language that kernels/cuda and
// bench/gpu/driver.cu use. NOT CUDA: a test harness (see kernels/cuda/emu/README.md). Device memory is host
// memory (so AddressSanitizer sees every out-of-bounds access of a kernel), a kernel launch runs
// its blocks one after another and a block's threads as fibers that switch only at
// __syncthreads / __shfl_*_sync; the order threads run in between two barriers is chosen by
// EMU_ORDER (fwd, rev, rand), so a missing barrier shows up as results that depend on it.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <algorithm>

// ---- language -------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

namespace emu {
extern uint3 g_threadIdx, g_blockIdx;
extern dim3 g_blockDim, g_gridDim;
void barrier();                 // __syncthreads
double* shuffleSlots();         // one slot per thread of the block
int linearTid();
[[noreturn]] void fail(const char* what);
}  // namespace emu
#define threadIdx (::emu::g_threadIdx)
#define blockIdx (::emu::g_blockIdx)
#define blockDim (::emu::g_blockDim)
#define gridDim (::emu::g_gridDim)

inline void __syncthreads() { ::emu::barrier(); }
inline void __syncwarp(unsigned = 0xffffffffu) { ::emu::barrier(); }
[[noreturn]] inline void __trap() { ::emu::fail("__trap() reached"); }
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}
inline unsigned atomicAdd(unsigned* p, unsigned v) {
  unsigned old = *p;
  *p = old + v;
  return old;
}
// Every thread of the block must call it (true of the kernels here): values go through
// per-thread slots between two barriers.
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta) {
  static_assert(sizeof(T) <= sizeof(double), "emu shuffle: scalar types only");
  if (mask != 0xffffffffu) ::emu::fail("emu: __shfl_down_sync with a partial mask");
  if (::emu::g_blockDim.x * ::emu::g_blockDim.y * ::emu::g_blockDim.z % 32) ::emu::fail("emu: shuffle in a block that is not whole warps");
  double* s = ::emu::shuffleSlots();
  const int t = ::emu::linearTid();
  std::memcpy(&s[t], &v, sizeof(T));
  ::emu::barrier();
  T r = v;
  if (unsigned(t % 32) + delta < 32) std::memcpy(&r, &s[t + delta], sizeof(T));
  ::emu::barrier();
  return r;
}
using std::max;
using std::min;

// ---- runtime --------------------------------------------------------------------------------
#define CUDART_VERSION 13000
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorNotSupported = 801,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16, cudaDevAttrComputeCapabilityMajor = 75 };
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal, cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeRelaxed };
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold = 4 };
constexpr unsigned cudaStreamNonBlocking = 1;
struct EmuStream;
struct EmuGraph;
typedef EmuStream* cudaStream_t;
typedef EmuGraph* cudaGraph_t;
typedef EmuGraph* cudaGraphExec_t;
typedef void* cudaMemPool_t;
typedef float* cudaEvent_t;
#define cudaStreamPerThread (reinterpret_cast<cudaStream_t>(0x2))

struct cudaDeviceProp {
  char name[256];
  int major, minor, multiProcessorCount, l2CacheSize;
  size_t sharedMemPerMultiprocessor, totalGlobalMem;
};

const char* cudaGetErrorName(cudaError_t);
const char* cudaGetErrorString(cudaError_t);
cudaError_t cudaGetLastError();
cudaError_t cudaGetDeviceCount(int*);
cudaError_t cudaGetDevice(int*);
cudaError_t cudaDeviceGetAttribute(int*, cudaDeviceAttr, int);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp*, int);
cudaError_t cudaMemGetInfo(size_t*, size_t*);
cudaError_t cudaDriverGetVersion(int*);
cudaError_t cudaRuntimeGetVersion(int*);
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t*, int);
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*);
cudaError_t cudaMalloc(void**, size_t);
cudaError_t cudaFree(void*);
cudaError_t cudaMallocAsync(void**, size_t, cudaStream_t);
cudaError_t cudaFreeAsync(void*, cudaStream_t);
cudaError_t cudaMemcpy(void*, const void*, size_t, cudaMemcpyKind);
cudaError_t cudaMemcpyAsync(void*, const void*, size_t, cudaMemcpyKind, cudaStream_t = nullptr);
cudaError_t cudaMemset(void*, int, size_t);
cudaError_t cudaMemsetAsync(void*, int, size_t, cudaStream_t = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t*, unsigned);
cudaError_t cudaStreamDestroy(cudaStream_t);
cudaError_t cudaStreamSynchronize(cudaStream_t);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode);
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t*);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t*, cudaGraph_t, unsigned long long = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t, cudaStream_t);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t);
cudaError_t cudaGraphDestroy(cudaGraph_t);
cudaError_t cudaEventCreate(cudaEvent_t*);
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t);
cudaError_t cudaEventElapsedTime(float*, cudaEvent_t, cudaEvent_t);
cudaError_t cudaEventDestroy(cudaEvent_t);
// Resident blocks per SM: what an H100 gives a 256-thread block of modest register use.
template <typename K>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* n, K, int blockSize, size_t) {
  *n = blockSize > 0 ? std::max(1, 1280 / blockSize) : 0;
  return cudaSuccess;
}
template <typename T>
cudaError_t cudaMalloc(T** p, size_t b) {
  return cudaMalloc(reinterpret_cast<void**>(p), b);
}
template <typename T>
cudaError_t cudaMallocAsync(T** p, size_t b, cudaStream_t s) {
  return cudaMallocAsync(reinterpret_cast<void**>(p), b, s);
}

// ---- launches: `k<<<cfg>>>(args)` is rewritten to emu::launch(emu::cfg(cfg), k, args) ------------
namespace emu {
struct Cfg {
  dim3 grid, block;
  size_t smem;
  cudaStream_t stream;
};
inline Cfg cfg(dim3 g, dim3 b, size_t smem = 0, cudaStream_t s = nullptr) { return Cfg{g, b, smem, s}; }
// Runs (or, on a capturing stream, records) one launch; `body` runs once per thread.
void run(const Cfg& c, std::function<void()> body);
template <typename... P, typename... A>
void launch(const Cfg& c, void (*k)(P...), A&&... a) {
  static_assert(sizeof...(P) == sizeof...(A), "emu: wrong number of kernel arguments");
  std::tuple<std::decay_t<P>...> args(std::forward<A>(a)...);  // converted and copied at launch, as CUDA does
  run(c, [k, args] { std::apply(k, args); });
}
}  // namespace emu
