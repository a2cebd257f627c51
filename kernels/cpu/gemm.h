// CPU GEMM and column statistics. Row-major, densely packed.
//
//   C[m×n] = act( alpha · op(A) · op(B) + beta · C + bias )
//   op(A) = A (m×k) or Aᵀ (A stored k×m) when trans_a; op(B) = B (k×n) or Bᵀ (B stored n×k).
//   With beta == 0, C is write-only (its old contents, NaN included, never leak through).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace trimnet {

// Activation codes, shared with src/backend/types.ts ACTIVATION_CODE.
enum Act : int { ACT_IDENTITY = 0, ACT_RELU = 1, ACT_LEAKY_RELU = 2, ACT_GELU = 3, ACT_TANH = 4, ACT_SIGMOID = 5 };
constexpr int ACT_COUNT = 6;

struct GemmParams {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  const float* b = nullptr;
  float* c = nullptr;
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 0.f;
  const float* bias = nullptr;  // n entries or null
  int act = ACT_IDENTITY;
  float slope = 0.01f;  // leaky_relu negative slope
  int threads = 0;      // 0: num_threads(); async calls pass one fewer (see async_threads)
  // When set, becomes 1 if alpha·op(A)·op(B) + beta·C holds a NaN or ±Infinity before bias and
  // activation. A NaN or ±Infinity in a row of op(A) always shows there (times a zero weight it
  // is NaN): a check of the input for the price of one add per output. It may also fire for a
  // finite input (an overflow, or a non-finite B), so it says where to look, not what is wrong.
  // Not for AᵀB (the k-split path ignores it).
  std::atomic<int>* nonfinite = nullptr;
  // op(B) = Wᵀ already in this process's kernel panels (pack_weights below: a frozen model's
  // weights, packed once instead of on every call); b and trans_b are then not read. Gives
  // bitwise the C of the same product with B = W, trans_b, for m > 4 (any m uses the packed
  // path: the small-m dot products would sum in another order).
  const float* b_packed = nullptr;
};

// Threads for work that runs off the event loop: one core fewer than num_threads(), so the
// event loop (and the requests it answers) keeps a core while a big async job runs.
int async_threads();

void gemm(const GemmParams& p);
// The plain triple loop (the readable definition; the fast kernels are checked against the
// TypeScript reference, and this one serves k == 0).
void gemm_plain(const GemmParams& p);

// One pass over X[rows×cols]: a = act(x); per column sum(a), sum|a|, count(a == 0), max(a)
// accumulated into the given arrays (not reset). With write_back, X[i] = a.
void col_stats(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
               double* zeros, float* max, bool write_back);

void col_stats_plain(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                     double* zeros, float* max, bool write_back);

float activate(int act, float x, float slope);

// Weights packed once (a frozen model, mlp_forward.h): W [n × k] row-major, the B of
// C = A·Wᵀ, laid out as the chosen kernel set's GEMM packs op(B) = Wᵀ on every call (its
// k blocks one after the other, each in column slivers). The layout depends on the kernel set,
// which is fixed per process, so packed weights are never stored or sent elsewhere.
int64_t packed_weight_floats(int64_t n, int64_t k);
void pack_weights(const float* w, int64_t n, int64_t k, float* dst);

// A 64-byte aligned float buffer and its owner (GEMM workspaces, a frozen model's packed weights).
struct AlignedFree {
  void operator()(float* p) const;
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;
// At least n floats (whole 64-byte lines, at least one), 64-byte aligned; null when the memory
// is not there.
AlignedFloats aligned_floats(size_t n);

int num_threads();
void set_num_threads(int n);  // n <= 0: one per core (or TRIMNET_THREADS)
const char* gemm_kernel_name();  // e.g. "avx512 12x32"; TRIMNET_KERNEL=scalar|avx2|avx512 forces one
std::vector<std::string> cpu_features();
int64_t l2_cache_bytes();  // per core, read once (cpuid); TRIMNET_L2_KB overrides it; sizes the GEMM's NB

}  // namespace trimnet
