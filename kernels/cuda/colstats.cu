// Fused activation + per-column statistics on the GPU.
//
//   X is rows×cols, row-major. For every element a = act(x) (codes of kernels/cpu/gemm.h);
//   per column j:  sum[j] += Σ_i a,  sum_abs[j] += Σ_i |a|,  zeros[j] += #{i : a == 0},
//                  max[j] = max(max[j], max_i a).   With write_back, X[i][j] = a.
//
// Memory-bound: one read of X (and one write with write_back). Two kernels:
//   colStatsPartial — a 2-D grid, one wave of resident blocks; blockIdx.x picks a strip of
//                     columns, blockIdx.y a slice of rows. Threads along x own VEC consecutive columns each (VEC = 4: one
//                     16-byte load per row, a warp reads 512 contiguous bytes), threads along y
//                     stride over rows. Each thread sums in double; the block folds its 8 row
//                     lanes in shared memory and writes one partial per column.
//   colStatsReduce  — one thread per column adds the gridDim.y partials (in double) into the
//                     caller's accumulators.
// colStatsNaive (one thread per column, walking all rows) is the plain version beside them.
#include "cuda_common.cuh"

namespace trimnet {
namespace cuda {

namespace {

constexpr int TX = 32, TY = 8;

struct Partial {
  double* sum;
  double* sum_abs;
  double* zeros;
  float* max;
};

__global__ void colStatsNaive(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum,
                              double* sum_abs, double* zeros, float* mx, bool write_back) {
  int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j >= cols) return;
  double s = 0, sa = 0, z = 0;
  float m = -INFINITY;
  for (int64_t i = 0; i < rows; i++) {
    float a = activateDevice(act, x[i * cols + j], slope);
    if (write_back) x[i * cols + j] = a;
    s += a, sa += fabsf(a), z += (a == 0.f), m = fmaxf(m, a);
  }
  sum[j] += s, sum_abs[j] += sa, zeros[j] += z;
  if (m > mx[j]) mx[j] = m;
}

template <int VEC>
__global__ void __launch_bounds__(TX* TY)
    colStatsPartial(float* __restrict__ x, int64_t rows, int64_t cols, int act, float slope, bool write_back,
                    int64_t rows_per_block, Partial part) {
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t c0 = (int64_t(blockIdx.x) * TX + tx) * VEC;
  const int64_t r_begin = int64_t(blockIdx.y) * rows_per_block;
  const int64_t r_end = min(rows, r_begin + rows_per_block);

  double s[VEC], sa[VEC];
  unsigned z[VEC];
  float m[VEC];
#pragma unroll
  for (int v = 0; v < VEC; v++) s[v] = 0, sa[v] = 0, z[v] = 0, m[v] = -INFINITY;

  if (c0 < cols) {
    // Several rows in flight per thread: the loop is unrolled so loads are issued back to back.
#pragma unroll 4
    for (int64_t r = r_begin + ty; r < r_end; r += TY) {
      float* p = x + r * cols + c0;
      float a[VEC];
      if (VEC == 4) {
        float4 t = *reinterpret_cast<const float4*>(p);
        a[0] = t.x, a[1] = t.y, a[2] = t.z, a[3] = t.w;
      } else {
        a[0] = p[0];
      }
#pragma unroll
      for (int v = 0; v < VEC; v++) {
        a[v] = activateDevice(act, a[v], slope);
        s[v] += a[v];
        sa[v] += fabsf(a[v]);
        z[v] += (a[v] == 0.f);
        m[v] = fmaxf(m[v], a[v]);
      }
      if (write_back) {
        if (VEC == 4) *reinterpret_cast<float4*>(p) = make_float4(a[0], a[1], a[2], a[3]);
        else p[0] = a[0];
      }
    }
  }

  // Fold the TY row lanes: shared [TY][TX*VEC] per statistic, then row 0 writes the partial.
  __shared__ double sh_s[TY][TX * VEC], sh_sa[TY][TX * VEC];
  __shared__ unsigned sh_z[TY][TX * VEC];
  __shared__ float sh_m[TY][TX * VEC];
#pragma unroll
  for (int v = 0; v < VEC; v++) {
    sh_s[ty][tx * VEC + v] = s[v];
    sh_sa[ty][tx * VEC + v] = sa[v];
    sh_z[ty][tx * VEC + v] = z[v];
    sh_m[ty][tx * VEC + v] = m[v];
  }
  __syncthreads();
  // Every thread of the block folds one (or more) of the TX*VEC columns.
  for (int c = ty * TX + tx; c < TX * VEC; c += TX * TY) {
    const int64_t col = int64_t(blockIdx.x) * TX * VEC + c;
    if (col >= cols) continue;
    double ts = 0, tsa = 0, tz = 0;
    float tm = -INFINITY;
#pragma unroll
    for (int y = 0; y < TY; y++) ts += sh_s[y][c], tsa += sh_sa[y][c], tz += sh_z[y][c], tm = fmaxf(tm, sh_m[y][c]);
    const int64_t o = int64_t(blockIdx.y) * cols + col;
    part.sum[o] = ts, part.sum_abs[o] = tsa, part.zeros[o] = tz, part.max[o] = tm;
  }
}

__global__ void colStatsReduce(int64_t cols, int slices, Partial part, double* sum, double* sum_abs, double* zeros,
                               float* mx) {
  int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j >= cols) return;
  double s = 0, sa = 0, z = 0;
  float m = mx[j];
  for (int y = 0; y < slices; y++) {  // consecutive threads read consecutive columns: coalesced
    const int64_t o = int64_t(y) * cols + j;
    s += part.sum[o], sa += part.sum_abs[o], z += part.zeros[o], m = fmaxf(m, part.max[o]);
  }
  sum[j] += s, sum_abs[j] += sa, zeros[j] += z;
  mx[j] = m;  // fmaxf ignores a NaN partner; the CPU path keeps max too when a is NaN (a > max is false)
}

int smCount() {
  static const int n = [] {
    int dev = 0, sms = 0;
    cudaCheck(cudaGetDevice(&dev));
    cudaCheck(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    return sms;
  }();
  return n;
}

// Blocks of colStatsPartial<VEC> the whole device holds at once.
template <int VEC>
int64_t residentBlocks() {
  static const int64_t n = [] {
    int per = 0;
    cudaCheck(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per, colStatsPartial<VEC>, TX * TY, 0));
    return int64_t(std::max(per, 1)) * smCount();
  }();
  return n;
}

}  // namespace

void col_stats_naive_device(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                            double* zeros, float* max, bool write_back) {
  if (cols <= 0) return;
  colStatsNaive<<<ceilDiv(cols, 128), 128, 0, stream()>>>(x, rows, cols, act, slope, sum, sum_abs, zeros, max,
                                                           write_back);
  cudaCheckLaunch();
}

void col_stats_device(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                      double* zeros, float* max, bool write_back) {
  if (rows <= 0 || cols <= 0) return;
  const bool vec = cols % 4 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0;
  const int per = vec ? 4 : 1;
  const unsigned gx = ceilDiv(cols, int64_t(TX) * per);
  // Row slices so that the grid is one full wave of resident blocks (rounded down: a second,
  // partial wave would leave most SMs idle while it runs), each slice at least 64 rows long.
  const int64_t want = std::max<int64_t>(1, (vec ? residentBlocks<4>() : residentBlocks<1>()) / gx);
  const int64_t slices = std::min<int64_t>({want, (rows + 63) / 64, 65535});
  const int64_t rows_per_block = (rows + slices - 1) / slices;
  const int64_t gy = (rows + rows_per_block - 1) / rows_per_block;

  Scratch sd(sizeof(double) * 3 * gy * cols), sf(sizeof(float) * gy * cols);
  Partial part{sd.as<double>(), sd.as<double>() + gy * cols, sd.as<double>() + 2 * gy * cols, sf.as<float>()};
  dim3 grid(gx, static_cast<unsigned>(gy)), block(TX, TY);
  if (vec)
    colStatsPartial<4><<<grid, block, 0, stream()>>>(x, rows, cols, act, slope, write_back, rows_per_block, part);
  else
    colStatsPartial<1><<<grid, block, 0, stream()>>>(x, rows, cols, act, slope, write_back, rows_per_block, part);
  cudaCheckLaunch();
  colStatsReduce<<<ceilDiv(cols, 256), 256, 0, stream()>>>(cols, static_cast<int>(gy), part, sum, sum_abs, zeros, max);
  cudaCheckLaunch();
}

}  // namespace cuda
}  // namespace trimnet
