// Thin SVD on the GPU by one-sided (Hestenes) Jacobi.
//
//   A is m×n row-major. Let T be the tall one of A (m ≥ n) or Aᵀ (m < n): rows r ≥ cols c.
//   Orthogonalise the c columns w_j of T by plane rotations, accumulating them in V (c×c):
//     for a pair (p, q):  α = w_p·w_p,  β = w_q·w_q,  γ = w_p·w_q
//       rotate when |γ| > tol·√(αβ):  ζ = (β − α) / 2γ,  t = sign(ζ) / (|ζ| + √(1 + ζ²)),
//       c = 1/√(1 + t²),  s = c·t,   w_p ← c·w_p − s·w_q,  w_q ← s·w_p + c·w_q  (same on V)
//   until a whole sweep rotates nothing. Then T·V = W with orthogonal columns:
//     σ_j = ‖w_j‖,  u_j = w_j / σ_j,  T = U diag(σ) Vᵀ.  For A = Tᵀ the roles of U and V swap.
//
// Why this method: it is accurate to the last bit of the small singular values (no Gram
// matrix, no squaring of the condition number), and its parallelism is the whole sweep: the
// round-robin ("chess tournament") ordering splits each sweep into c−1 steps of c/2 disjoint
// pairs, one thread block per pair, so a step is one kernel over the whole device. Columns
// are stored contiguous (W[j][0..r)) in float64, so the 2·r elements a block touches are two
// coalesced streams and convergence is never limited by float32 round-off. A sweep's c−1
// launches are captured once into a CUDA graph and replayed, so launch overhead is ~1 µs per
// step. Sweeps (uniform random square input, this ordering and tolerance, counted with a
// numpy model of the same rotations): 10 at 64², 12 at 256², 14 at 512², so ~15–18 at
// 1024²…4096². Cost per sweep ≈ (c−1) steps × one pass over W and V: bandwidth-bound at
// 4096² (~0.6 GB per step, ~0.2 ms on an H100, ~0.9 s per sweep), launch-latency-bound at 1024².
//
// Shapes up to 4096×4096 (and beyond; memory is 8·(r·c + c²) bytes on the device).
// The GPU check driver (bench/gpu/driver.cu) holds the plain serial version of the same
// rotations and checks this one against it (σ) and against A (reconstruction, orthogonality).
#include <cmath>
#include <numeric>
#include <vector>

#include "cuda_common.cuh"

namespace trimnet {
namespace cuda {

namespace {

constexpr int THREADS = 256;
constexpr int MAX_SWEEPS = 60;
constexpr double TOL = 1e-10;

// Position q of the round-robin schedule at step `step`: player 0 stays, the others rotate.
__device__ __forceinline__ int player(int q, int step, int N) { return q == 0 ? 0 : (q - 1 + step) % (N - 1) + 1; }

// The three dot products of a pair, summed over the block: warp shuffles, then one pass
// through shared memory (one barrier). Every thread returns the same sums, in the same order,
// so the rotate-or-not decision below is block-uniform.
__device__ __forceinline__ void blockSum3(double& a, double& b, double& g) {
  __shared__ double sh[3][THREADS / 32];
  for (int o = 16; o > 0; o >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, o);
    b += __shfl_down_sync(0xffffffffu, b, o);
    g += __shfl_down_sync(0xffffffffu, g, o);
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) sh[0][warp] = a, sh[1][warp] = b, sh[2][warp] = g;
  __syncthreads();
  a = b = g = 0;
  for (int w = 0; w < THREADS / 32; w++) a += sh[0][w], b += sh[1][w], g += sh[2][w];
}

__global__ void __launch_bounds__(THREADS)
    jacobiStep(double* __restrict__ W, double* __restrict__ V, int64_t rows, int cols, int N, int step,
               unsigned* rotations) {
  int p = player(blockIdx.x, step, N), q = player(N - 1 - blockIdx.x, step, N);
  if (p >= cols || q >= cols) return;  // a pair with the dummy column (odd cols): nothing to do
  if (p > q) {
    int t = p;
    p = q;
    q = t;
  }
  double* wp = W + int64_t(p) * rows;
  double* wq = W + int64_t(q) * rows;
  double a = 0, b = 0, g = 0;
  for (int64_t i = threadIdx.x; i < rows; i += THREADS) {
    double x = wp[i], y = wq[i];
    a = fma(x, x, a), b = fma(y, y, b), g = fma(x, y, g);
  }
  blockSum3(a, b, g);
  if (a == 0 || b == 0 || !(fabs(g) > TOL * sqrt(a) * sqrt(b))) return;  // block-uniform
  const double zeta = (b - a) / (2 * g);
  const double t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta));
  const double c = 1 / sqrt(1 + t * t), s = c * t;
  for (int64_t i = threadIdx.x; i < rows; i += THREADS) {
    double x = wp[i], y = wq[i];
    wp[i] = c * x - s * y;
    wq[i] = s * x + c * y;
  }
  double* vp = V + int64_t(p) * cols;
  double* vq = V + int64_t(q) * cols;
  for (int i = threadIdx.x; i < cols; i += THREADS) {
    double x = vp[i], y = vq[i];
    vp[i] = c * x - s * y;
    vq[i] = s * x + c * y;
  }
  if (threadIdx.x == 0) atomicAdd(rotations, 1u);
}

// W[j][i] = T[i][j] from the float input: tall (m ≥ n): T = A, so W[j][i] = A[i][j];
// wide: T = Aᵀ, W[j][i] = A[j][i]. V = I.
__global__ void loadColumns(const float* __restrict__ A, int64_t m, int64_t n, bool wide, double* W, double* V,
                            int64_t rows, int cols) {
  const int64_t total = rows * cols;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e / rows, i = e % rows;
    W[e] = wide ? A[j * n + i] : A[i * n + j];
  }
  const int64_t vt = int64_t(cols) * cols;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < vt; e += int64_t(gridDim.x) * blockDim.x)
    V[e] = (e / cols == e % cols) ? 1.0 : 0.0;
}

cudaError_t instantiate(cudaGraphExec_t* exec, cudaGraph_t graph) {
#if CUDART_VERSION >= 12000
  return cudaGraphInstantiate(exec, graph, 0);
#else  // CUDA 11.4–11.8: the flags form has its own name
  return cudaGraphInstantiateWithFlags(exec, graph, 0);
#endif
}

// RAII for the SVD's own stream and graph.
struct StreamGuard {
  cudaStream_t s = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  StreamGuard() { cudaCheck(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)); }
  ~StreamGuard() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    cudaStreamDestroy(s);
  }
};

// Completes the columns r of `cols` (p columns of length len, column r contiguous) with
// good[r] false to an orthonormal set. Each missing column starts from the unit vector e_i
// farthest from the span of the columns already there: with orthonormal columns u_o,
// ‖e_i − Σ u_o u_oᵀ e_i‖² = 1 − Σ_o u_o[i]², so the best i is read off one running sum per
// row, and it is at least (len − have)/len > 0 (a fixed 0.5 threshold on e_0, e_1, … fails
// when the missing direction is spread, e.g. 1/√len for centred columns). Then Gram–Schmidt,
// twice, in double.
void completeBasis(std::vector<double>& cols, int64_t len, int p, const std::vector<bool>& good) {
  std::vector<int> have;
  std::vector<double> covered(len, 0.0);  // Σ_o u_o[i]² over the columns in `have`
  for (int r = 0; r < p; r++)
    if (good[r]) {
      have.push_back(r);
      const double* u = &cols[size_t(r) * len];
      for (int64_t i = 0; i < len; i++) covered[i] += u[i] * u[i];
    }
  std::vector<double> x(len);
  for (int r = 0; r < p; r++) {
    if (good[r]) continue;
    const int64_t e = std::min_element(covered.begin(), covered.end()) - covered.begin();
    std::fill(x.begin(), x.end(), 0.0);
    x[e] = 1;
    for (int pass = 0; pass < 2; pass++)
      for (int o : have) {
        const double* u = &cols[size_t(o) * len];
        double d = 0;
        if (pass == 0) {
          d = u[e];  // x = e_e on the first pass
        } else {
          for (int64_t i = 0; i < len; i++) d += u[i] * x[i];
        }
        if (d != 0)
          for (int64_t i = 0; i < len; i++) x[i] -= d * u[i];
      }
    double nrm = 0;
    for (double t : x) nrm += t * t;
    nrm = std::sqrt(nrm);
    if (!(nrm > 0)) throw CudaError("svd: orthonormal completion failed");  // cannot happen: have < len
    double* u = &cols[size_t(r) * len];
    for (int64_t i = 0; i < len; i++) {
      u[i] = x[i] / nrm;
      covered[i] += u[i] * u[i];
    }
    have.push_back(r);
  }
}

}  // namespace

SvdStats svd_host(const float* a, int64_t m, int64_t n, float* u, float* s, float* v) {
  SvdStats stats;
  if (m == 0 || n == 0) return stats;
  for (int64_t i = 0; i < m * n; i++)  // as the CPU path: no answer for a non-finite matrix
    if (!std::isfinite(a[i])) throw std::invalid_argument("svd: the matrix has a NaN or Infinity entry");
  const bool wide = m < n;
  const int64_t rows = wide ? n : m;
  if ((wide ? m : n) > 65536) throw CudaError("svd: min(m, n) above 65536 is not supported");
  const int cols = static_cast<int>(wide ? m : n);
  const int N = cols + (cols & 1);  // round-robin needs an even count: one dummy column when odd

  StreamGuard sg;
  cudaStream_t st = sg.s;
  double *W = nullptr, *V = nullptr;
  float* dA = nullptr;
  unsigned* dRot = nullptr;
  struct Frees {
    std::vector<void*> ptrs;
    ~Frees() {
      for (void* p : ptrs) cudaFree(p);
    }
  } frees;
  cudaCheck(cudaMalloc(&W, sizeof(double) * rows * cols));
  frees.ptrs.push_back(W);
  cudaCheck(cudaMalloc(&V, sizeof(double) * int64_t(cols) * cols));
  frees.ptrs.push_back(V);
  cudaCheck(cudaMalloc(&dA, sizeof(float) * m * n));
  frees.ptrs.push_back(dA);
  cudaCheck(cudaMalloc(&dRot, sizeof(unsigned)));
  frees.ptrs.push_back(dRot);

  cudaCheck(cudaMemcpyAsync(dA, a, sizeof(float) * m * n, cudaMemcpyHostToDevice, st));
  loadColumns<<<1024, 256, 0, st>>>(dA, m, n, wide, W, V, rows, cols);
  cudaCheckLaunch();

  // One sweep = N−1 steps; capture them into a graph once (fall back to plain launches if the
  // capture is refused).
  auto sweep = [&](cudaStream_t s2) {
    for (int step = 0; step < N - 1; step++) jacobiStep<<<N / 2, THREADS, 0, s2>>>(W, V, rows, cols, N, step, dRot);
  };
  bool graph = N > 2;
  if (graph) {
    if (cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      graph = false;
    } else {
      sweep(st);
      if (cudaStreamEndCapture(st, &sg.graph) != cudaSuccess || instantiate(&sg.exec, sg.graph) != cudaSuccess)
        graph = false;
    }
    if (!graph) (void)cudaGetLastError();  // clear the refused capture's error; plain launches below
  }

  unsigned rot = 1;
  for (int sw = 0; sw < MAX_SWEEPS && rot > 0; sw++) {
    cudaCheck(cudaMemsetAsync(dRot, 0, sizeof(unsigned), st));
    if (graph) cudaCheck(cudaGraphLaunch(sg.exec, st));
    else sweep(st);
    cudaCheckLaunch();
    cudaCheck(cudaMemcpyAsync(&rot, dRot, sizeof(unsigned), cudaMemcpyDeviceToHost, st));
    cudaCheck(cudaStreamSynchronize(st));
    stats.sweeps = sw + 1;
  }

  if (rot > 0) throw CudaError("svd: one-sided Jacobi did not converge in " + std::to_string(MAX_SWEEPS) + " sweeps");

  std::vector<double> hW(size_t(rows) * cols), hV(size_t(cols) * cols);
  cudaCheck(cudaMemcpyAsync(hW.data(), W, sizeof(double) * hW.size(), cudaMemcpyDeviceToHost, st));
  cudaCheck(cudaMemcpyAsync(hV.data(), V, sizeof(double) * hV.size(), cudaMemcpyDeviceToHost, st));
  cudaCheck(cudaStreamSynchronize(st));

  // σ_j, order descending (stable), normalise, complete the basis for σ = 0.
  // The last sweep rotated nothing, so every pair of columns has |cos| ≤ TOL, tiny ones
  // included (the test is relative to the pair's own norms): each nonzero column normalises
  // to an orthonormal vector. Only exact zero columns (a zero column of A, exact cancellation)
  // have no direction and are completed.
  std::vector<double> sig(cols);
  for (int j = 0; j < cols; j++) {
    double t = 0;
    for (int64_t i = 0; i < rows; i++) t += hW[size_t(j) * rows + i] * hW[size_t(j) * rows + i];
    sig[j] = std::sqrt(t);
  }
  std::vector<int> order(cols);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return sig[x] > sig[y]; });
  std::vector<double> Ucols(size_t(rows) * cols);  // left vectors of T, column r contiguous
  std::vector<bool> good(cols);
  for (int r = 0; r < cols; r++) {
    const int j = order[r];
    good[r] = sig[j] > 0 && sig[j] > 1e-100 * sig[order[0]];  // (far below float32; squares never underflow)
    for (int64_t i = 0; i < rows; i++) Ucols[size_t(r) * rows + i] = good[r] ? hW[size_t(j) * rows + i] / sig[j] : 0.0;
  }
  completeBasis(Ucols, rows, cols, good);

  // T = Ut diag(σ) Vtᵀ; A = T (tall) or Tᵀ (wide). p = cols.
  const int p = cols;
  for (int r = 0; r < p; r++) {
    const int j = order[r];
    s[r] = static_cast<float>(sig[j]);
    float* left = wide ? v : u;    // T's left vectors: rows × p
    float* right = wide ? u : v;   // T's right vectors: cols × p
    for (int64_t i = 0; i < rows; i++) left[i * p + r] = static_cast<float>(Ucols[size_t(r) * rows + i]);
    for (int i = 0; i < cols; i++) right[int64_t(i) * p + r] = static_cast<float>(hV[size_t(j) * cols + i]);
  }
  return stats;
}

}  // namespace cuda
}  // namespace trimnet
