// SGEMM on the GPU, row-major, with the fused bias + activation epilogue.
//
//   C[m×n] = act( alpha · op(A) · op(B) + beta · C + bias )
//   op(A) is m×k: A stored m×k (lda = k), or k×m when trans_a (lda = m), op(A) = Aᵀ
//   op(B) is k×n: B stored k×n (ldb = n), or n×k when trans_b (ldb = k), op(B) = Bᵀ
//   bias: n entries or null, added to every row; act: codes of kernels/cpu/gemm.h.
//   beta == 0: C is write-only (NaN in C never leaks through).
//
// Three kernels, in the order llm.c keeps them:
//   gemmNaive  — one thread per C element, the plain reference on the device.
//   gemmTiled  — 128×128 block tile, BK = 8, 256 threads, 8×8 outputs per thread (as 2×2
//                4×4 sub-tiles, so shared-memory reads are float4 broadcasts without bank
//                conflicts), float4 global loads where the leading dimension allows, tiles
//                staged through registers into a second shared-memory buffer while the
//                current one is multiplied (double buffering: one __syncthreads per k-step).
//   gemmTF32   — same tiling, the inner product on tensor cores (wmma m16n16k8, TF32 inputs,
//                FP32 accumulate), sm_80+. Off by default: TF32 keeps 10 mantissa bits, so
//                results differ from FP32 by ~1e-3 relative.
// All three handle any shape: tiles past the edges read zeros and skip their stores.
#include <mma.h>

#include "cuda_common.cuh"

namespace trimnet {
namespace cuda {

namespace {

constexpr int BM = 128, BN = 128, BK = 8;
constexpr int PAD = 4;        // row padding of the shared tiles: transposed stores stay conflict-free
constexpr int SA = BM + PAD;  // 132 floats = 528 bytes, a multiple of 16 (float4) and of 32 bytes (wmma)
constexpr int SB = BN + PAD;
constexpr int THREADS = 256;

struct Dims {
  int64_t m, n, k, lda, ldb, ldc;
};

__global__ void gemmNaive(Dims d, const float* __restrict__ A, const float* __restrict__ B, float* C, bool ta,
                          bool tb, float alpha, float beta, const float* __restrict__ bias, int act, float slope) {
  int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  int64_t i = blockIdx.y * int64_t(blockDim.y) + threadIdx.y;
  if (i >= d.m || j >= d.n) return;
  float acc = 0.f;
  for (int64_t q = 0; q < d.k; q++) {
    float a = ta ? A[q * d.lda + i] : A[i * d.lda + q];
    float b = tb ? B[j * d.ldb + q] : B[q * d.ldb + j];
    acc = fmaf(a, b, acc);
  }
  float v = alpha * acc;
  if (beta != 0.f) v += beta * C[i * d.ldc + j];
  if (bias) v += bias[j];
  C[i * d.ldc + j] = activateDevice(act, v, slope);
}

// Four consecutive elements of a row-major matrix (rows × cols, leading dimension ld) starting
// at (r, c); zeros outside. With vec (ld % 4 == 0, base 16-byte aligned, c % 4 == 0) the four
// are either all inside or all outside, and one 16-byte load fetches them.
__device__ __forceinline__ float4 load4(const float* __restrict__ p, int64_t ld, int64_t rows, int64_t cols,
                                        int64_t r, int64_t c, bool vec) {
  if (vec) {
    if (r < rows && c < cols) return __ldg(reinterpret_cast<const float4*>(p + r * ld + c));
    return make_float4(0.f, 0.f, 0.f, 0.f);
  }
  float v[4];
#pragma unroll
  for (int i = 0; i < 4; i++) v[i] = (r < rows && c + i < cols) ? __ldg(p + r * ld + c + i) : 0.f;
  return make_float4(v[0], v[1], v[2], v[3]);
}

// Global -> registers for one k-step: each thread fetches one float4 of the A tile and one of
// the B tile. Shared layout is always As[k][m] and Bs[k][n] (k-major), whatever the transposes.
template <bool TA, bool TB>
struct TileLoader {
  const float* A;
  const float* B;
  Dims d;
  int64_t m0, n0;
  bool vecA, vecB;

  __device__ __forceinline__ float4 loadA(int64_t k0, int tid) const {
    if (!TA) {  // A is m×k: thread -> row tid/2, k offset (tid%2)*4
      return load4(A, d.lda, d.m, d.k, m0 + tid / 2, k0 + (tid % 2) * 4, vecA);
    } else {  // A is k×m: thread -> k row tid/32, m offset (tid%32)*4
      return load4(A, d.lda, d.k, d.m, k0 + tid / 32, m0 + (tid % 32) * 4, vecA);
    }
  }
  __device__ __forceinline__ float4 loadB(int64_t k0, int tid) const {
    if (!TB) {  // B is k×n
      return load4(B, d.ldb, d.k, d.n, k0 + tid / 32, n0 + (tid % 32) * 4, vecB);
    } else {  // B is n×k
      return load4(B, d.ldb, d.n, d.k, n0 + tid / 2, k0 + (tid % 2) * 4, vecB);
    }
  }
  __device__ __forceinline__ static void storeA(float (*As)[SA], float4 v, int tid) {
    if (!TA) {
      int r = tid / 2, kq = (tid % 2) * 4;
      As[kq + 0][r] = v.x;
      As[kq + 1][r] = v.y;
      As[kq + 2][r] = v.z;
      As[kq + 3][r] = v.w;
    } else {
      *reinterpret_cast<float4*>(&As[tid / 32][(tid % 32) * 4]) = v;
    }
  }
  __device__ __forceinline__ static void storeB(float (*Bs)[SB], float4 v, int tid) {
    if (!TB) {
      *reinterpret_cast<float4*>(&Bs[tid / 32][(tid % 32) * 4]) = v;
    } else {
      int r = tid / 2, kq = (tid % 2) * 4;
      Bs[kq + 0][r] = v.x;
      Bs[kq + 1][r] = v.y;
      Bs[kq + 2][r] = v.z;
      Bs[kq + 3][r] = v.w;
    }
  }
};

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// The epilogue for one element.
__device__ __forceinline__ float epilogue(float acc, float alpha, float beta, const float* C, int64_t idx,
                                          const float* bias, int64_t col, int act, float slope) {
  float v = alpha * acc;
  if (beta != 0.f) v += beta * C[idx];
  if (bias) v += __ldg(bias + col);
  return activateDevice(act, v, slope);
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(THREADS, 2)
    gemmTiled(Dims d, const float* __restrict__ A, const float* __restrict__ B, float* C, float alpha, float beta,
              const float* __restrict__ bias, int act, float slope) {
  __shared__ __align__(16) float As[2][BK][SA];
  __shared__ __align__(16) float Bs[2][BK][SB];

  const int tid = threadIdx.x;
  const int warp = tid / 32, lane = tid % 32;
  const int wr = warp / 2, wc = warp % 2;  // 4×2 warps, each a 32×64 tile
  const int lr = lane / 8, lc = lane % 8;  // 4×8 lanes, each 2×2 sub-tiles of 4×4
  const int rowA = wr * 32 + lr * 4;       // this thread's rows: rowA+{0..3}, rowA+16+{0..3}
  const int colB = wc * 64 + lc * 4;       // this thread's cols: colB+{0..3}, colB+32+{0..3}

  TileLoader<TA, TB> ld{A, B, d, int64_t(blockIdx.y) * BM, int64_t(blockIdx.x) * BN,
                        d.lda % 4 == 0 && aligned16(A), d.ldb % 4 == 0 && aligned16(B)};

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0.f;

  const int64_t numK = (d.k + BK - 1) / BK;
  if (numK > 0) {
    TileLoader<TA, TB>::storeA(As[0], ld.loadA(0, tid), tid);
    TileLoader<TA, TB>::storeB(Bs[0], ld.loadB(0, tid), tid);
  }
  __syncthreads();

  for (int64_t kt = 0; kt < numK; kt++) {
    const int cur = kt & 1;
    const bool more = kt + 1 < numK;
    float4 nextA, nextB;
    if (more) {  // issue the next tile's global loads before the math: they land while we compute
      nextA = ld.loadA((kt + 1) * BK, tid);
      nextB = ld.loadB((kt + 1) * BK, tid);
    }
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[8], b[8];
      float4 t;
      t = *reinterpret_cast<const float4*>(&As[cur][kk][rowA]);
      a[0] = t.x, a[1] = t.y, a[2] = t.z, a[3] = t.w;
      t = *reinterpret_cast<const float4*>(&As[cur][kk][rowA + 16]);
      a[4] = t.x, a[5] = t.y, a[6] = t.z, a[7] = t.w;
      t = *reinterpret_cast<const float4*>(&Bs[cur][kk][colB]);
      b[0] = t.x, b[1] = t.y, b[2] = t.z, b[3] = t.w;
      t = *reinterpret_cast<const float4*>(&Bs[cur][kk][colB + 32]);
      b[4] = t.x, b[5] = t.y, b[6] = t.z, b[7] = t.w;
#pragma unroll
      for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) {  // the other buffer was last read before the previous barrier: safe to overwrite
      TileLoader<TA, TB>::storeA(As[cur ^ 1], nextA, tid);
      TileLoader<TA, TB>::storeB(Bs[cur ^ 1], nextB, tid);
    }
    __syncthreads();
  }

  // Epilogue: alpha, beta·C, bias, activation; float4 stores where C's rows allow.
  const int64_t m0 = int64_t(blockIdx.y) * BM, n0 = int64_t(blockIdx.x) * BN;
  const bool vecC = d.ldc % 4 == 0 && aligned16(C);
#pragma unroll
  for (int i = 0; i < 8; i++) {
    const int64_t r = m0 + rowA + (i < 4 ? i : 12 + i);  // i >= 4 -> rowA + 16 + (i - 4)
    if (r >= d.m) continue;
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int64_t c0 = n0 + colB + h * 32;
      const int64_t idx = r * d.ldc + c0;
      if (vecC && c0 + 3 < d.n) {
        float4 o;
        float old[4] = {0.f, 0.f, 0.f, 0.f};
        if (beta != 0.f) {
          float4 t = *reinterpret_cast<const float4*>(C + idx);
          old[0] = t.x, old[1] = t.y, old[2] = t.z, old[3] = t.w;
        }
        float v[4];
#pragma unroll
        for (int j = 0; j < 4; j++) {
          float x = alpha * acc[i][h * 4 + j];
          if (beta != 0.f) x += beta * old[j];
          if (bias) x += __ldg(bias + c0 + j);
          v[j] = activateDevice(act, x, slope);
        }
        o = make_float4(v[0], v[1], v[2], v[3]);
        *reinterpret_cast<float4*>(C + idx) = o;
      } else {
#pragma unroll
        for (int j = 0; j < 4; j++)
          if (c0 + j < d.n) C[idx + j] = epilogue(acc[i][h * 4 + j], alpha, beta, C, idx + j, bias, c0 + j, act, slope);
      }
    }
  }
}

// TF32 tensor cores: each warp owns a 32×64 tile = 2×4 wmma 16×16 accumulators.
template <bool TA, bool TB>
__global__ void __launch_bounds__(THREADS, 1)
    gemmTF32(Dims d, const float* __restrict__ A, const float* __restrict__ B, float* C, float alpha, float beta,
             const float* __restrict__ bias, int act, float slope) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  __shared__ __align__(128) float As[2][BK][SA];
  __shared__ __align__(128) float Bs[2][BK][SB];
  __shared__ __align__(128) float stage[THREADS / 32][16 * 16];

  const int tid = threadIdx.x;
  const int warp = tid / 32, lane = tid % 32;
  const int wr = warp / 2, wc = warp % 2;

  TileLoader<TA, TB> ld{A, B, d, int64_t(blockIdx.y) * BM, int64_t(blockIdx.x) * BN,
                        d.lda % 4 == 0 && aligned16(A), d.ldb % 4 == 0 && aligned16(B)};

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) wmma::fill_fragment(acc[i][j], 0.f);

  const int64_t numK = (d.k + BK - 1) / BK;
  if (numK > 0) {
    TileLoader<TA, TB>::storeA(As[0], ld.loadA(0, tid), tid);
    TileLoader<TA, TB>::storeB(Bs[0], ld.loadB(0, tid), tid);
  }
  __syncthreads();

  for (int64_t kt = 0; kt < numK; kt++) {
    const int cur = kt & 1;
    const bool more = kt + 1 < numK;
    float4 nextA, nextB;
    if (more) {
      nextA = ld.loadA((kt + 1) * BK, tid);
      nextB = ld.loadB((kt + 1) * BK, tid);
    }
    // As[k][m] read as a column-major 16×8 A fragment; Bs[k][n] as a row-major 8×16 B fragment.
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fa[2];
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[4];
#pragma unroll
    for (int i = 0; i < 2; i++) {
      wmma::load_matrix_sync(fa[i], &As[cur][0][wr * 32 + i * 16], SA);
#pragma unroll
      for (int e = 0; e < fa[i].num_elements; e++) fa[i].x[e] = wmma::__float_to_tf32(fa[i].x[e]);
    }
#pragma unroll
    for (int j = 0; j < 4; j++) {
      wmma::load_matrix_sync(fb[j], &Bs[cur][0][wc * 64 + j * 16], SB);
#pragma unroll
      for (int e = 0; e < fb[j].num_elements; e++) fb[j].x[e] = wmma::__float_to_tf32(fb[j].x[e]);
    }
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
      for (int j = 0; j < 4; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    if (more) {
      TileLoader<TA, TB>::storeA(As[cur ^ 1], nextA, tid);
      TileLoader<TA, TB>::storeB(Bs[cur ^ 1], nextB, tid);
    }
    __syncthreads();
  }

  // Epilogue through a per-warp 16×16 staging tile.
  float* st = stage[warp];
  const int64_t m0 = int64_t(blockIdx.y) * BM + wr * 32, n0 = int64_t(blockIdx.x) * BN + wc * 64;
#pragma unroll
  for (int i = 0; i < 2; i++) {
#pragma unroll
    for (int j = 0; j < 4; j++) {
      wmma::store_matrix_sync(st, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
#pragma unroll
      for (int e = 0; e < 8; e++) {
        const int idx = lane + e * 32;  // consecutive lanes -> consecutive columns
        const int64_t r = m0 + i * 16 + idx / 16, c = n0 + j * 16 + idx % 16;
        if (r < d.m && c < d.n) C[r * d.ldc + c] = epilogue(st[idx], alpha, beta, C, r * d.ldc + c, bias, c, act, slope);
      }
      __syncwarp();
    }
  }
#else
  __trap();  // never launched below sm_80: the host checks the device first
#endif
}


template <bool TA, bool TB>
void launchTiled(bool tf32, dim3 grid, const Dims& d, const GemmParams& p) {
  if (tf32)
    gemmTF32<TA, TB><<<grid, THREADS, 0, stream()>>>(d, p.a, p.b, p.c, p.alpha, p.beta, p.bias, p.act, p.slope);
  else
    gemmTiled<TA, TB><<<grid, THREADS, 0, stream()>>>(d, p.a, p.b, p.c, p.alpha, p.beta, p.bias, p.act, p.slope);
}

bool deviceHasTF32() {
  static const bool has = [] {
    int dev = 0, major = 0;
    if (cudaGetDevice(&dev) != cudaSuccess) return false;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) return false;
    return major >= 8;
  }();
  return has;
}

}  // namespace

void gemm_device(const GemmParams& p, GemmKernel kernel) {
  if (p.m <= 0 || p.n <= 0) return;
  Dims d{p.m, p.n, p.k, p.trans_a ? p.m : p.k, p.trans_b ? p.k : p.n, p.n};
  if (kernel == GemmKernel::Naive) {
    dim3 block(16, 16);
    for (int64_t r0 = 0; r0 < p.m; r0 += int64_t(65535) * 16) {  // grid.y is limited to 65535
      Dims c = d;
      c.m = std::min<int64_t>(p.m - r0, int64_t(65535) * 16);
      const float* a = p.trans_a ? p.a + r0 : p.a + r0 * d.lda;
      gemmNaive<<<dim3(ceilDiv(p.n, 16), ceilDiv(c.m, 16)), block, 0, stream()>>>(
          c, a, p.b, p.c + r0 * d.ldc, p.trans_a, p.trans_b, p.alpha, p.beta, p.bias, p.act, p.slope);
      cudaCheckLaunch();
    }
    return;
  }
  const bool tf32 = kernel == GemmKernel::TF32 && deviceHasTF32();
  if (ceilDiv(p.n, BN) > 0x7fffffffu) throw CudaError("gemm: n is too large for the grid");
  const int64_t chunk = int64_t(65535) * BM;  // grid.y limit: launch tall problems in slices of rows
  for (int64_t r0 = 0; r0 < p.m; r0 += chunk) {
    Dims c = d;
    c.m = std::min<int64_t>(p.m - r0, chunk);
    GemmParams q = p;
    q.a = p.trans_a ? p.a + r0 : p.a + r0 * d.lda;
    q.c = p.c + r0 * d.ldc;
    dim3 grid(ceilDiv(p.n, BN), ceilDiv(c.m, BM));
    if (!p.trans_a && !p.trans_b) launchTiled<false, false>(tf32, grid, c, q);
    else if (!p.trans_a && p.trans_b) launchTiled<false, true>(tf32, grid, c, q);
    else if (p.trans_a && !p.trans_b) launchTiled<true, false>(tf32, grid, c, q);
    else launchTiled<true, true>(tf32, grid, c, q);
    cudaCheckLaunch();
  }
}

}  // namespace cuda
}  // namespace trimnet
