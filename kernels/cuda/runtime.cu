// Host side of the CUDA backend: device probe, plain allocations and copies, and the
// host-level GEMM / colStats that stage host operands through stream-ordered scratch memory
// (transfers only for what is not already resident on the device).
#include <dlfcn.h>

#include <cstring>

#include "cuda_common.cuh"

namespace trimnet {
namespace cuda {

namespace {

// Why cudart said "driver insufficient": no driver at all, or one too old for this runtime.
std::string driverDetail(cudaError_t err) {
  if (err != cudaErrorInsufficientDriver) return "";
  void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) return " (libcuda.so.1 not found: no NVIDIA driver installed)";
  dlclose(lib);
  int drv = 0, rt = 0;
  (void)cudaDriverGetVersion(&drv);
  (void)cudaRuntimeGetVersion(&rt);
  return " (the driver supports CUDA " + std::to_string(drv / 1000) + "." + std::to_string(drv % 1000 / 10) +
         ", this build needs " + std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10) + ")";
}

}  // namespace

const std::string& status() {
  static const std::string s = [] {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);  // static cudart: a missing libcuda.so is an error code here
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      return std::string("no CUDA driver/device: ") + cudaGetErrorString(err) + driverDetail(err);
    }
    if (n == 0) return std::string("no CUDA driver/device: no CUDA-capable device is detected");
    // Keep freed scratch in the stream-ordered pool instead of returning it to the driver.
    cudaMemPool_t pool;
    int dev = 0;
    if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetDefaultMemPool(&pool, dev) == cudaSuccess) {
      uint64_t keep = UINT64_MAX;
      (void)cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    err = cudaFree(nullptr);  // create the context now: a broken driver shows up here, not mid-call
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      return std::string("no CUDA driver/device: ") + cudaGetErrorString(err);
    }
    return std::string("ok");
  }();
  return s;
}

DeviceInfo device_info() {
  DeviceInfo d;
  int dev = 0;
  cudaCheck(cudaGetDevice(&dev));
  cudaDeviceProp prop;
  cudaCheck(cudaGetDeviceProperties(&prop, dev));
  d.name = prop.name;
  d.major = prop.major;
  d.minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  d.smem_per_sm = prop.sharedMemPerMultiprocessor;
  d.l2_bytes = static_cast<size_t>(prop.l2CacheSize);
  cudaCheck(cudaMemGetInfo(&d.free_mem, &d.total_mem));
  cudaCheck(cudaDriverGetVersion(&d.driver_version));
  cudaCheck(cudaRuntimeGetVersion(&d.runtime_version));
  return d;
}

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  if (bytes == 0) return nullptr;
  cudaCheck(cudaMalloc(&p, bytes));
  return p;
}

void device_free(void* p) noexcept {
  if (p) cudaFree(p);
}

void copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
  cudaCheck(cudaStreamSynchronize(stream()));
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaStreamSynchronize(stream()));
}

void copy_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

void synchronize() { cudaCheck(cudaStreamSynchronize(stream())); }

namespace {

// A device view of an operand: the resident pointer, or a scratch copy of the host data.
struct Staged {
  Scratch scratch;
  const float* ptr;
  Staged(const Operand& op, size_t count)
      : scratch(op.on_device || op.ptr == nullptr ? 0 : sizeof(float) * count), ptr(op.ptr) {
    if (!op.on_device && op.ptr && count > 0) {
      cudaCheck(cudaMemcpyAsync(scratch.as<float>(), op.ptr, sizeof(float) * count, cudaMemcpyHostToDevice, stream()));
      ptr = scratch.as<float>();
    }
  }
};

}  // namespace

void gemm_host(const HostGemm& g) {
  if (g.m == 0 || g.n == 0) return;
  const size_t mk = size_t(g.m) * g.k, kn = size_t(g.k) * g.n, mn = size_t(g.m) * g.n;
  Staged a(g.a, mk), b(g.b, kn), bias(g.bias, g.n);
  Scratch cs(g.c_on_device ? 0 : sizeof(float) * mn);
  float* c = g.c_on_device ? g.c : cs.as<float>();
  if (!g.c_on_device && g.beta != 0.f)
    cudaCheck(cudaMemcpyAsync(c, g.c, sizeof(float) * mn, cudaMemcpyHostToDevice, stream()));
  GemmParams p;
  p.m = g.m, p.n = g.n, p.k = g.k;
  p.a = a.ptr, p.b = b.ptr, p.c = c;
  p.trans_a = g.trans_a, p.trans_b = g.trans_b;
  p.alpha = g.alpha, p.beta = g.beta;
  p.bias = bias.ptr;
  p.act = g.act, p.slope = g.slope;
  gemm_device(p, g.allow_tf32 ? GemmKernel::TF32 : GemmKernel::Tiled);
  if (!g.c_on_device) cudaCheck(cudaMemcpyAsync(g.c, c, sizeof(float) * mn, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaStreamSynchronize(stream()));
}

void col_stats_host(float* x, bool x_on_device, int64_t rows, int64_t cols, int act, float slope, double* sum,
                    double* sum_abs, double* zeros, float* max, bool write_back) {
  if (cols == 0) return;
  const size_t n = size_t(rows) * cols;
  Scratch xs(x_on_device ? 0 : sizeof(float) * n);
  float* dx = x_on_device ? x : xs.as<float>();
  if (!x_on_device && n > 0) cudaCheck(cudaMemcpyAsync(dx, x, sizeof(float) * n, cudaMemcpyHostToDevice, stream()));
  Scratch acc(sizeof(double) * 3 * cols + sizeof(float) * cols);
  double* d = acc.as<double>();
  float* dm = reinterpret_cast<float*>(d + 3 * cols);
  cudaCheck(cudaMemcpyAsync(d, sum, sizeof(double) * cols, cudaMemcpyHostToDevice, stream()));
  cudaCheck(cudaMemcpyAsync(d + cols, sum_abs, sizeof(double) * cols, cudaMemcpyHostToDevice, stream()));
  cudaCheck(cudaMemcpyAsync(d + 2 * cols, zeros, sizeof(double) * cols, cudaMemcpyHostToDevice, stream()));
  cudaCheck(cudaMemcpyAsync(dm, max, sizeof(float) * cols, cudaMemcpyHostToDevice, stream()));
  col_stats_device(dx, rows, cols, act, slope, d, d + cols, d + 2 * cols, dm, write_back);
  cudaCheck(cudaMemcpyAsync(sum, d, sizeof(double) * cols, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaMemcpyAsync(sum_abs, d + cols, sizeof(double) * cols, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaMemcpyAsync(zeros, d + 2 * cols, sizeof(double) * cols, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaMemcpyAsync(max, dm, sizeof(float) * cols, cudaMemcpyDeviceToHost, stream()));
  if (write_back && !x_on_device && n > 0)
    cudaCheck(cudaMemcpyAsync(x, dx, sizeof(float) * n, cudaMemcpyDeviceToHost, stream()));
  cudaCheck(cudaStreamSynchronize(stream()));
}

}  // namespace cuda
}  // namespace trimnet
