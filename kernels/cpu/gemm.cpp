// CPU GEMM: placeholder plain version (the packed, register-blocked kernel replaces it).
#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

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

static int g_threads = 0;

int num_threads() {
  if (g_threads > 0) return g_threads;
  const char* env = std::getenv("TRIMNET_THREADS");
  int n = env ? std::atoi(env) : 0;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return n;
}

void set_num_threads(int n) { g_threads = n > 0 ? n : 0; }

const char* gemm_kernel_name() { return "plain"; }

std::vector<std::string> cpu_features() { return {}; }

void gemm(const GemmParams& p) {
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

void col_stats(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
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

}  // namespace trimnet
