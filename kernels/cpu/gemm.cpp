// CPU GEMM and colStats: run-time kernel selection (cpuid), threads, workspace, and the plain
// reference versions. The fast algorithms live in gemm_impl.h, instantiated per ISA in
// gemm_avx512.cpp / gemm_avx2.cpp / gemm_scalar.cpp.
//
//   C[m×n] = act( alpha · op(A) · op(B) + beta · C + bias )   (see gemm.h)
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#ifdef __GNUC__
#include <cpuid.h>
#endif

#include "gemm_internal.h"

namespace trimnet {

float activate(int act, float x, float slope) {
  switch (act) {
    case ACT_RELU: return x > 0.f ? x : 0.f;
    case ACT_LEAKY_RELU: return x > 0.f ? x : x * slope;
    case ACT_GELU: return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case ACT_TANH: return std::tanh(x);
    case ACT_SIGMOID: return 1.f / (1.f + std::exp(-x));
    default: return x;
  }
}

// ---- the plain versions (kept as the readable definition; used for k == 0) ----------------
void gemm_plain(const GemmParams& p) {
  for (int64_t i = 0; i < p.m; i++) {
    for (int64_t j = 0; j < p.n; j++) {
      double acc = 0;
      for (int64_t q = 0; q < p.k; q++) {
        float a = p.trans_a ? p.a[q * p.m + i] : p.a[i * p.k + q];
        float b = p.trans_b ? p.b[j * p.k + q] : p.b[q * p.n + j];
        acc += double(a) * b;
      }
      float v = p.alpha * float(acc);
      if (p.beta != 0.f) v += p.beta * p.c[i * p.n + j];
      if (p.bias) v += p.bias[j];
      p.c[i * p.n + j] = activate(p.act, v, p.slope);
    }
  }
}

void col_stats_plain(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                     double* zeros, float* max, bool write_back) {
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = 0; j < cols; j++) {
      float a = activate(act, x[i * cols + j], slope);
      if (write_back) x[i * cols + j] = a;
      sum[j] += a;
      sum_abs[j] += std::fabs(a);
      if (a == 0.f) zeros[j] += 1;
      if (a > max[j]) max[j] = a;
    }
  }
}

// ---- threads ------------------------------------------------------------------------------
static std::atomic<int> g_threads{0};

static int default_threads() {
  static const int n = [] {
    const char* env = std::getenv("TRIMNET_THREADS");
    int v = env ? std::atoi(env) : 0;
    if (v <= 0) v = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::min(v, 256);
  }();
  return n;
}

int num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : default_threads();
}

void set_num_threads(int n) { g_threads.store(n > 0 ? std::min(n, 256) : 0); }

// ---- aligned buffers, per-thread workspace --------------------------------------------------
void AlignedFree::operator()(float* p) const { std::free(p); }

AlignedFloats aligned_floats(size_t n) {
  const size_t bytes = (std::max<size_t>(n, 1) * sizeof(float) + 63) / 64 * 64;
  return AlignedFloats(static_cast<float*>(std::aligned_alloc(64, bytes)));
}

float* thread_workspace(size_t floats, bool nothrow) {
  thread_local AlignedFloats buf;
  thread_local size_t cap = 0;
  if (floats > cap || !buf) {
    size_t want = std::max(floats, cap * 2);
    buf = aligned_floats(want);
    if (!buf) {
      cap = 0;
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
    cap = want;
  }
  return buf.get();
}

// ---- cache sizes --------------------------------------------------------------------------
// cpuid's deterministic cache leaves (4 on Intel, 0x8000001D on AMD) when the hypervisor passes
// them through (this project's AMD VMs report nothing there), else leaf 0x80000006, whose ECX
// gives the L2 size in KiB on both vendors; 512 KiB (the smallest L2 of the x86 cores we target)
// when cpuid says nothing.
static int64_t l2_from_cpuid() {
#ifdef TRIMNET_X86_KERNELS
  unsigned a, b, c, d;
  for (unsigned leaf : {4u, 0x8000001Du}) {
    for (unsigned sub = 0; sub < 8; sub++) {
      if (!__get_cpuid_count(leaf, sub, &a, &b, &c, &d)) break;
      unsigned type = a & 31, level = (a >> 5) & 7;
      if (type == 0) break;
      if (level == 2 && (type == 1 || type == 3)) {
        int64_t ways = ((b >> 22) & 1023) + 1, parts = ((b >> 12) & 1023) + 1, line = (b & 4095) + 1;
        return ways * parts * line * (int64_t(c) + 1);
      }
    }
  }
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000006 && __get_cpuid(0x80000006, &a, &b, &c, &d)) {
    int64_t kb = c >> 16;
    if (kb > 0) return kb * 1024;
  }
#endif
  return 512 * 1024;
}

int64_t l2_cache_bytes() {
  static const int64_t bytes = [] {
    const char* env = std::getenv("TRIMNET_L2_KB");
    int64_t kb = env ? std::atoll(env) : 0;
    if (kb >= 64 && kb <= (int64_t(1) << 20)) return kb * 1024;
    return l2_from_cpuid();
  }();
  return bytes;
}

// ---- run-time selection -------------------------------------------------------------------
struct Cpu {
  bool avx2 = false, fma = false, avx512f = false, avx512vl = false, avx512bw = false, avx512dq = false;
};

static Cpu detect() {
  Cpu c;
#ifdef TRIMNET_X86_KERNELS
  __builtin_cpu_init();  // libgcc also checks that the OS saves the ymm/zmm state (xgetbv)
  c.avx2 = __builtin_cpu_supports("avx2");
  c.fma = __builtin_cpu_supports("fma");
  c.avx512f = __builtin_cpu_supports("avx512f");
  c.avx512vl = __builtin_cpu_supports("avx512vl");
  c.avx512bw = __builtin_cpu_supports("avx512bw");
  c.avx512dq = __builtin_cpu_supports("avx512dq");
#endif
  return c;
}

// TRIMNET_KERNEL=scalar|avx2|avx512 forces a (supported) kernel, for tests and comparisons.
static const KernelSet& kernels() {
  static const KernelSet* chosen = [] {
    Cpu c = detect();
    const char* want = std::getenv("TRIMNET_KERNEL");
    std::string w = want ? want : "";
    const KernelSet* k = &kernels_scalar;
#ifdef TRIMNET_X86_KERNELS
    bool has512 = c.avx512f && c.avx512vl && c.avx512bw && c.avx512dq && c.fma;
    bool has2 = c.avx2 && c.fma;
    if (w == "scalar") k = &kernels_scalar;
    else if (w == "avx2" && has2) k = &kernels_avx2;
    else if (has512 && w != "avx2") k = &kernels_avx512;
    else if (has2) k = &kernels_avx2;
#endif
    return k;
  }();
  return *chosen;
}

const char* gemm_kernel_name() { return kernels().name; }

decltype(KernelSet::forward_one) forward_one_kernel() { return kernels().forward_one; }

int64_t packed_weight_floats(int64_t n, int64_t k) { return kernels().packed_floats(n, k); }
void pack_weights(const float* w, int64_t n, int64_t k, float* dst) { kernels().pack_weights(w, n, k, dst); }

std::vector<std::string> cpu_features() {
  Cpu c = detect();
  std::vector<std::string> f;
#ifdef TRIMNET_X86_KERNELS
  f.push_back("sse2");
  if (c.avx2) f.push_back("avx2");
  if (c.fma) f.push_back("fma");
  if (c.avx512f) f.push_back("avx512f");
  if (c.avx512vl) f.push_back("avx512vl");
  if (c.avx512bw) f.push_back("avx512bw");
  if (c.avx512dq) f.push_back("avx512dq");
#else
  (void)c;
#endif
  return f;
}

// ---- entry points -------------------------------------------------------------------------
void gemm(const GemmParams& p) {
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {  // C = act(beta·C + bias): nothing to multiply
    gemm_plain(p);
    return;
  }
  const int threads = p.threads > 0 ? p.threads : num_threads();
  if (!p.nonfinite && !p.b_packed && gemm_k_split(p, threads, kernels().gemm)) return;  // AᵀB, small C, long k
  kernels().gemm(p, threads);
}

int async_threads() { return std::max(1, num_threads() - 1); }

void col_stats(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
               double* zeros, float* max, bool write_back) {
  if (rows == 0 || cols == 0) return;
  kernels().col_stats(x, rows, cols, act, slope, sum, sum_abs, zeros, max, write_back, num_threads());
}

}  // namespace trimnet
