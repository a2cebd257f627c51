// GPU check driver: conformance of every CUDA kernel (kernels/cuda) against the CPU kernels
// (kernels/cpu, the reference), then timings. Self-contained: no Node.js. Built and run by
// bench/gpu/run.sh; writes its results as JSON (argv[1], default gpu_driver.json) for
// report.py, which adds the PyTorch peer's numbers and prints the table.
//
// Tolerances, as llm.c: |got − ref| ≤ tol·(1 + |ref|), tol = c·√k·FLT_EPSILON-ish, with c larger
// for TF32 (10-bit mantissa). The first mismatches are printed; any failure makes the exit
// status non-zero (the timings still run, marked as after a failure).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cuda_kernels.h"
#include "gemm.h"

namespace tc = trimnet::cuda;

#define CK(expr)                                                                                         \
  do {                                                                                                   \
    cudaError_t e_ = (expr);                                                                             \
    if (e_ != cudaSuccess) {                                                                             \
      std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(e_), __FILE__, __LINE__, #expr); \
      std::exit(3);                                                                                      \
    }                                                                                                    \
  } while (0)

static int g_failures = 0;
static std::string g_outPath = "gpu_driver.json";
static std::vector<std::pair<std::string, std::string>> g_json;  // "key" -> JSON value, in order

// Sets one entry and rewrites the whole JSON file (temp + rename), so a stage killed by its
// time limit still leaves every number it measured before.
static void jsonSet(const std::string& key, const std::string& value) {
  bool found = false;
  for (auto& kv : g_json)
    if (kv.first == key) kv.second = value, found = true;
  if (!found) g_json.emplace_back(key, value);
  std::string text = "{\n";
  for (auto& kv : g_json) text += "  \"" + kv.first + "\": " + kv.second + ",\n";
  text += "  \"failures\": " + std::to_string(g_failures) + "\n}\n";
  const std::string tmp = g_outPath + ".tmp";
  if (FILE* f = std::fopen(tmp.c_str(), "w")) {
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) == 0 && ok) std::rename(tmp.c_str(), g_outPath.c_str());
  }
}

static std::vector<float> randVec(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <typename T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(size_t count) : n(count) {
    if (n) CK(cudaMalloc(&p, sizeof(T) * n));
  }
  Dev(const std::vector<T>& h) : Dev(h.size()) { put(h); }
  ~Dev() {
    if (p) cudaFree(p);
  }
  void put(const std::vector<T>& h) {
    if (n) CK(cudaMemcpy(p, h.data(), sizeof(T) * n, cudaMemcpyHostToDevice));
  }
  std::vector<T> get() const {
    std::vector<T> h(n);
    if (n) CK(cudaMemcpy(h.data(), p, sizeof(T) * n, cudaMemcpyDeviceToHost));
    return h;
  }
};

// ---- conformance: GEMM -------------------------------------------------------------------

static const char* kernelName(tc::GemmKernel k) {
  return k == tc::GemmKernel::Naive ? "naive" : k == tc::GemmKernel::Tiled ? "tiled" : "tf32";
}

// off > 0: every operand starts `off` floats into its allocation, so no pointer is 16-byte
// aligned and the kernels must take their scalar-load paths even where ld % 4 == 0.
static bool checkGemmCase(int64_t m, int64_t n, int64_t k, bool ta, bool tb, float alpha, float beta, bool bias, int act,
                          tc::GemmKernel kern, int off = 0) {
  auto a = randVec(m * k, 1), b = randVec(k * n, 2), c0 = randVec(m * n, 3), bv = randVec(n, 4);
  if (beta == 0.f) std::fill(c0.begin(), c0.end(), NAN);  // must not leak through
  std::vector<float> ref = c0;
  trimnet::GemmParams p;
  p.m = m, p.n = n, p.k = k, p.a = a.data(), p.b = b.data(), p.c = ref.data();
  p.trans_a = ta, p.trans_b = tb, p.alpha = alpha, p.beta = beta, p.bias = bias ? bv.data() : nullptr, p.act = act;
  trimnet::gemm(p);

  auto shifted = [off](const std::vector<float>& v) {
    std::vector<float> w(off, 0.f);
    w.insert(w.end(), v.begin(), v.end());
    return w;
  };
  Dev<float> da(shifted(a)), db(shifted(b)), dc(shifted(c0)), dbias(shifted(bv));
  trimnet::GemmParams q = p;
  q.a = da.p + off, q.b = db.p + off, q.c = dc.p + off, q.bias = bias ? dbias.p + off : nullptr;
  tc::gemm_device(q, kern);
  tc::synchronize();
  auto got = dc.get();
  got.erase(got.begin(), got.begin() + off);
  const double tol = (kern == tc::GemmKernel::TF32 ? 2e-3 : 1e-5) * std::sqrt(double(std::max<int64_t>(1, k))) * 4;
  int bad = 0;
  for (size_t i = 0; i < ref.size(); i++) {
    const double err = std::fabs(double(got[i]) - ref[i]);
    if (!(err <= tol * (1 + std::fabs(ref[i])))) {
      if (bad < 3)
        std::printf("  MISMATCH gemm[%s] %ldx%ldx%ld ta=%d tb=%d alpha=%g beta=%g bias=%d act=%d at %zu (%ld,%ld): got %.7g ref %.7g\n",
                    kernelName(kern), long(m), long(n), long(k), ta, tb, alpha, beta, bias, act, i, long(i / n),
                    long(i % n), got[i], ref[i]);
      bad++;
    }
  }
  return bad == 0;
}

// The host-level entry points the addon calls (runtime.cu): operands on the host (staged
// through scratch memory) or already on the device, C copied back or left there.
static bool checkGemmHostCase(int64_t m, int64_t n, int64_t k, bool ta, bool tb, float beta, bool bias, int act, int where) {
  auto a = randVec(m * k, 21), b = randVec(k * n, 22), c0 = randVec(m * n, 23), bv = randVec(n, 24);
  if (beta == 0.f) std::fill(c0.begin(), c0.end(), NAN);
  std::vector<float> ref = c0;
  trimnet::GemmParams p;
  p.m = m, p.n = n, p.k = k, p.a = a.data(), p.b = b.data(), p.c = ref.data();
  p.trans_a = ta, p.trans_b = tb, p.alpha = 0.75f, p.beta = beta, p.bias = bias ? bv.data() : nullptr, p.act = act;
  trimnet::gemm(p);
  // where: 0 all on the host; 1 B and bias resident (weights), A and C on the host; 2 all on the device
  Dev<float> da(a), db(b), dc(c0), dbias(bv);
  std::vector<float> got = c0;
  tc::HostGemm g;
  g.m = m, g.n = n, g.k = k, g.trans_a = ta, g.trans_b = tb, g.alpha = 0.75f, g.beta = beta, g.act = act;
  g.a = {where == 2 ? da.p : a.data(), where == 2};
  g.b = {where >= 1 ? db.p : b.data(), where >= 1};
  if (bias) g.bias = {where >= 1 ? dbias.p : bv.data(), where >= 1};
  g.c = where == 2 ? dc.p : got.data();
  g.c_on_device = where == 2;
  tc::gemm_host(g);
  if (where == 2) got = dc.get();
  const double tol = 1e-5 * std::sqrt(double(std::max<int64_t>(1, k))) * 4;
  for (size_t i = 0; i < ref.size(); i++)
    if (!(std::fabs(double(got[i]) - ref[i]) <= tol * (1 + std::fabs(ref[i])))) {
      std::printf("  MISMATCH gemm_host %ldx%ldx%ld ta=%d tb=%d beta=%g bias=%d act=%d where=%d at %zu: got %.7g ref %.7g\n", long(m),
                  long(n), long(k), ta, tb, beta, bias, act, where, i, got[i], ref[i]);
      return false;
    }
  return true;
}

static bool checkColStatsHostCase(int64_t rows, int64_t cols, int act, bool wb, bool onDevice) {
  auto x = randVec(rows * cols, 25, -2.f, 2.f);
  for (size_t i = 0; i < x.size(); i += 5) x[i] = 0.f;
  std::vector<double> rs(cols, 0.5), rsa(cols, 0.5), rz(cols, 1.0), gs = rs, gsa = rsa, gz = rz;
  std::vector<float> rm(cols, 0.25f), gm = rm;  // accumulated into, not reset
  std::vector<float> xr = x, xg = x;
  trimnet::col_stats(xr.data(), rows, cols, act, 0.01f, rs.data(), rsa.data(), rz.data(), rm.data(), wb);
  Dev<float> dx(x);
  tc::col_stats_host(onDevice ? dx.p : xg.data(), onDevice, rows, cols, act, 0.01f, gs.data(), gsa.data(), gz.data(), gm.data(), wb);
  if (onDevice) xg = dx.get();
  bool ok = true;
  for (int64_t j = 0; j < cols && ok; j++)
    ok = std::fabs(gs[j] - rs[j]) <= 1e-5 * (rsa[j] + 1) && std::fabs(gsa[j] - rsa[j]) <= 1e-5 * (rsa[j] + 1) && gz[j] == rz[j] &&
         std::fabs(gm[j] - rm[j]) <= 1e-5f * (1 + std::fabs(rm[j]));
  for (size_t i = 0; i < x.size() && ok; i++) ok = std::fabs(xg[i] - (wb ? xr[i] : x[i])) <= 1e-5f * (1 + std::fabs(xr[i]));
  if (!ok)
    std::printf("  MISMATCH col_stats_host %ldx%ld act=%d wb=%d onDevice=%d\n", long(rows), long(cols), act, wb, onDevice);
  return ok;
}

static void conformanceHost() {
  int cases = 0, fails = 0;
  const int64_t shapes[][3] = {{1, 784, 512}, {33, 65, 17}, {130, 7, 129}, {4, 4, 0}, {0, 3, 3}, {3, 0, 3}};
  for (auto& s : shapes)
    for (int where = 0; where < 3; where++)
      for (int t = 0; t < 4; t++) {
        cases++;
        fails += !checkGemmHostCase(s[0], s[1], s[2], t & 1, t >> 1, t == 1 ? 0.5f : 0.f, t != 2, t == 3 ? trimnet::ACT_GELU : trimnet::ACT_RELU, where);
      }
  const int64_t cs[][2] = {{1, 1}, {300, 129}, {64, 256}, {0, 5}, {5, 0}};
  for (auto& s : cs)
    for (int v = 0; v < 4; v++) {
      cases++;
      fails += !checkColStatsHostCase(s[0], s[1], v == 3 ? trimnet::ACT_TANH : trimnet::ACT_RELU, v & 1, v >> 1);
    }
  std::printf("host entry points (gemm_host, col_stats_host): %d cases, %d failed\n", cases, fails);
  g_failures += fails;
  jsonSet("host_conformance", "{\"cases\": " + std::to_string(cases) + ", \"failed\": " + std::to_string(fails) + "}");
}

static void conformanceGemm() {
  const int64_t shapes[][3] = {{1, 1, 1},     {7, 7, 7},      {1, 784, 512},  {127, 129, 128}, {129, 127, 1},
                               {128, 128, 128}, {1000, 7, 33}, {5, 1000, 3},   {33, 65, 1000},  {64, 300, 257},
                               {129, 129, 129}, {1, 1000, 127}, {1000, 1, 129}, {4, 4, 0},       {0, 5, 5}};
  int cases = 0, fails = 0;
  for (auto kern : {tc::GemmKernel::Naive, tc::GemmKernel::Tiled, tc::GemmKernel::TF32}) {
    for (auto& s : shapes)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          for (int variant = 0; variant < 2; variant++) {
            cases++;
            bool ok = variant == 0 ? checkGemmCase(s[0], s[1], s[2], ta, tb, 1.f, 0.f, false, trimnet::ACT_IDENTITY, kern)
                                   : checkGemmCase(s[0], s[1], s[2], ta, tb, 0.5f, -1.5f, true, trimnet::ACT_IDENTITY, kern);
            fails += !ok;
          }
    for (int ta = 0; ta < 2; ta++)  // misaligned pointers, leading dimensions that are multiples of 4
      for (int tb = 0; tb < 2; tb++) {
        cases++;
        fails += !checkGemmCase(132, 136, 68, ta, tb, 1.f, 0.5f, true, trimnet::ACT_RELU, kern, 1);
      }
    const int64_t epi[][3] = {{1, 129, 784}, {37, 65, 17}, {128, 256, 64}, {257, 131, 999}};
    for (auto& s : epi)
      for (int act = 0; act < trimnet::ACT_COUNT; act++)
        for (int ta = 0; ta < 2; ta++) {
          cases++;
          fails += !checkGemmCase(s[0], s[1], s[2], ta, !ta, 1.25f, act % 2 ? 0.5f : 0.f, true, act, kern);
        }
  }
  std::printf("gemm conformance: %d cases, %d failed\n", cases, fails);
  conformanceHost();
  g_failures += fails;
  jsonSet("gemm_conformance", "{\"cases\": " + std::to_string(cases) + ", \"failed\": " + std::to_string(fails) + "}");
}

// ---- conformance: colStats -------------------------------------------------------------------

static void conformanceColStats() {
  // rows, cols, offset of x in its allocation (1: not 16-byte aligned though cols % 4 == 0)
  const int64_t shapes[][3] = {{1, 1, 0},     {7, 7, 0},       {1000, 7, 0}, {127, 129, 0}, {129, 128, 0},
                               {129, 128, 1}, {4096, 1000, 0}, {100003, 12, 0}, {3, 4097, 0}};
  int cases = 0, fails = 0;
  for (int naive = 0; naive < 2; naive++)
    for (auto& s : shapes)
      for (int act = 0; act < trimnet::ACT_COUNT; act++)
        for (int wb = 0; wb < 2; wb++) {
          const int64_t rows = s[0], cols = s[1], off = s[2];
          auto x = randVec(rows * cols, 5, -3.f, 3.f);
          for (size_t i = 0; i < x.size(); i += 7) x[i] = 0.f;  // exact zeros to count
          std::vector<double> rs(cols, 1.0), rsa(cols, 2.0), rz(cols, 3.0);
          std::vector<float> rm(cols, -INFINITY);
          std::vector<float> xr = x;
          trimnet::col_stats(xr.data(), rows, cols, act, 0.01f, rs.data(), rsa.data(), rz.data(), rm.data(), wb);
          std::vector<float> xs(off, 0.f);
          xs.insert(xs.end(), x.begin(), x.end());
          Dev<float> dx(xs), dm(std::vector<float>(cols, -INFINITY));
          Dev<double> ds(std::vector<double>(cols, 1.0)), dsa(std::vector<double>(cols, 2.0)), dz(std::vector<double>(cols, 3.0));
          (naive ? tc::col_stats_naive_device : tc::col_stats_device)(dx.p + off, rows, cols, act, 0.01f, ds.p, dsa.p, dz.p, dm.p, wb);
          tc::synchronize();
          auto gs = ds.get(), gsa = dsa.get(), gz = dz.get();
          auto gm = dm.get();
          auto gx = dx.get();
          gx.erase(gx.begin(), gx.begin() + off);
          int bad = 0;
          for (int64_t j = 0; j < cols; j++) {
            // The CPU kernels may use vectorised tanh/erf/exp (~1e-6 relative): allow 1e-5.
            const double tol = 1e-5 * (rsa[j] + 1);
            if (!(std::fabs(gs[j] - rs[j]) <= tol && std::fabs(gsa[j] - rsa[j]) <= tol && gz[j] == rz[j] &&
                  std::fabs(gm[j] - rm[j]) <= 1e-5f * (1 + std::fabs(rm[j])))) {
              if (bad < 3)
                std::printf("  MISMATCH colStats[%s] %ldx%ld act=%d wb=%d col %ld: sum %.9g/%.9g abs %.9g/%.9g zeros %g/%g max %.7g/%.7g\n",
                            naive ? "naive" : "fast", long(rows), long(cols), act, wb, long(j), gs[j], rs[j], gsa[j], rsa[j],
                            gz[j], rz[j], gm[j], rm[j]);
              bad++;
            }
          }
          if (wb)
            for (size_t i = 0; i < x.size(); i++)
              if (!(std::fabs(gx[i] - xr[i]) <= 1e-5f * (1 + std::fabs(xr[i])))) {
                if (bad < 3) std::printf("  MISMATCH colStats write-back at %zu: %.7g vs %.7g\n", i, gx[i], xr[i]);
                bad++;
                break;
              }
          cases++;
          fails += bad > 0;
        }
  std::printf("colStats conformance: %d cases, %d failed\n", cases, fails);
  g_failures += fails;
  jsonSet("colstats_conformance", "{\"cases\": " + std::to_string(cases) + ", \"failed\": " + std::to_string(fails) + "}");
}

// ---- conformance: SVD --------------------------------------------------------------------------

// Plain serial one-sided Jacobi in double: the reference for σ (same math as kernels/cuda/svd.cu).
static std::vector<double> jacobiSigma(const std::vector<float>& a, int64_t m, int64_t n) {
  const bool wide = m < n;
  const int64_t rows = wide ? n : m, cols = wide ? m : n;
  std::vector<double> w(rows * cols);
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = 0; i < rows; i++) w[j * rows + i] = wide ? a[j * n + i] : a[i * n + j];
  for (int sweep = 0; sweep < 80; sweep++) {
    int rot = 0;
    for (int64_t p = 0; p < cols; p++)
      for (int64_t q = p + 1; q < cols; q++) {
        double al = 0, be = 0, ga = 0;
        for (int64_t i = 0; i < rows; i++) {
          double x = w[p * rows + i], y = w[q * rows + i];
          al += x * x, be += y * y, ga += x * y;
        }
        if (al == 0 || be == 0 || !(std::fabs(ga) > 1e-13 * std::sqrt(al * be))) continue;
        double z = (be - al) / (2 * ga), t = std::copysign(1.0, z) / (std::fabs(z) + std::sqrt(1 + z * z));
        double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (int64_t i = 0; i < rows; i++) {
          double x = w[p * rows + i], y = w[q * rows + i];
          w[p * rows + i] = c * x - s * y, w[q * rows + i] = s * x + c * y;
        }
        rot++;
      }
    if (!rot) break;
  }
  std::vector<double> sig(cols);
  for (int64_t j = 0; j < cols; j++) {
    double t = 0;
    for (int64_t i = 0; i < rows; i++) t += w[j * rows + i] * w[j * rows + i];
    sig[j] = std::sqrt(t);
  }
  std::sort(sig.begin(), sig.end(), std::greater<double>());
  return sig;
}

struct SvdCheck {
  double recon = 0, orthU = 0, orthV = 0;
  bool sorted = true;
};

// ‖A − U S Vᵀ‖_F / ‖A‖_F on the GPU (our gemm: C = A, beta = 1, alpha = −1, (U·S)·Vᵀ), and the
// largest |(UᵀU − I)|, |(VᵀV − I)| entries (also by gemm, transA).
static SvdCheck checkSvd(const std::vector<float>& a, int64_t m, int64_t n, const std::vector<float>& u,
                         const std::vector<float>& s, const std::vector<float>& v) {
  const int64_t p = std::min(m, n);
  SvdCheck r;
  for (int64_t i = 1; i < p; i++) r.sorted &= s[i] <= s[i - 1];
  std::vector<float> us = u;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < p; j++) us[i * p + j] *= s[j];
  Dev<float> dus(us), dv(v), dc(a), du(u), dg{size_t(p * p)};
  trimnet::GemmParams g;
  g.m = m, g.n = n, g.k = p, g.a = dus.p, g.b = dv.p, g.c = dc.p, g.trans_b = true, g.alpha = -1.f, g.beta = 1.f;
  tc::gemm_device(g);
  auto res = dc.get();
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); i++) num += double(res[i]) * res[i], den += double(a[i]) * a[i];
  r.recon = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  for (int which = 0; which < 2; which++) {
    trimnet::GemmParams o;
    o.m = p, o.n = p, o.k = which ? n : m, o.a = which ? dv.p : du.p, o.b = which ? dv.p : du.p, o.c = dg.p, o.trans_a = true;
    tc::gemm_device(o);
    auto gg = dg.get();
    double worst = 0;
    for (int64_t i = 0; i < p; i++)
      for (int64_t j = 0; j < p; j++) worst = std::max(worst, std::fabs(gg[i * p + j] - (i == j ? 1.0 : 0.0)));
    (which ? r.orthV : r.orthU) = worst;
  }
  return r;
}

// TRIMNET_GPU_CHECK_SMALL=1 (the CPU emulation of kernels/cuda/emu): only shapes an emulator
// can run in seconds.
static bool smallOnly() { return std::getenv("TRIMNET_GPU_CHECK_SMALL") != nullptr; }

static void conformanceSvd() {
  const int64_t shapes[][2] = {{1, 1},    {7, 3},     {3, 7},     {5, 1},     {1, 5},     {24, 24},   {40, 17},
                               {17, 40},  {64, 64},   {127, 33},  {33, 127},  {256, 256}, {300, 200}, {200, 300}};
  int cases = 0, fails = 0;
  auto run = [&](const std::vector<float>& a, int64_t m, int64_t n, const char* label) {
    const int64_t p = std::min(m, n);
    std::vector<float> u(m * p), s(p), v(n * p);
    tc::SvdStats st = tc::svd_host(a.data(), m, n, u.data(), s.data(), v.data());
    SvdCheck c = checkSvd(a, m, n, u, s, v);
    auto ref = jacobiSigma(a, m, n);
    double serr = 0;
    for (int64_t i = 0; i < p; i++) serr = std::max(serr, std::fabs(s[i] - ref[i]) / std::max(ref[0], 1e-30));
    const bool ok = c.sorted && c.recon < 2e-5 && c.orthU < 2e-5 && c.orthV < 2e-5 && serr < 2e-6;
    if (!ok)
      std::printf("  MISMATCH svd %s %ldx%ld: sweeps %d recon %.2e orthU %.2e orthV %.2e sigma err %.2e sorted %d\n", label,
                  long(m), long(n), st.sweeps, c.recon, c.orthU, c.orthV, serr, c.sorted);
    cases++;
    fails += !ok;
  };
  for (auto& s : shapes)
    if (!smallOnly() || s[0] * s[1] <= 48 * 48) run(randVec(s[0] * s[1], 6), s[0], s[1], "random");
  // Rank-deficient inputs: U (or V, wide) needs an orthonormal completion for σ = 0.
  const int64_t q = smallOnly() ? 24 : 64;
  {  // rank 10 (rank 5 small) of q×q
    const int64_t r = q == 64 ? 10 : 5;
    auto x = randVec(q * r, 7), y = randVec(r * q, 8);
    std::vector<float> a(q * q, 0.f);
    for (int64_t i = 0; i < q; i++)
      for (int64_t j = 0; j < q; j++)
        for (int64_t t = 0; t < r; t++) a[i * q + j] += x[i * r + t] * y[t * q + j];
    run(a, q, q, "low-rank");
  }
  {  // centred columns (rank q−1): the missing left vector is 1/√q, far from every unit vector
    auto a = randVec(q * q, 9);
    for (int64_t j = 0; j < q; j++) {
      double mean = 0;
      for (int64_t i = 0; i < q; i++) mean += a[i * q + j];
      mean /= double(q);
      for (int64_t i = 0; i < q; i++) a[i * q + j] = float(a[i * q + j] - mean);
    }
    run(a, q, q, "centred");
  }
  run(std::vector<float>(8 * 8, 0.f), 8, 8, "zero");
  {  // a zero column (tall) and duplicate rows (wide)
    auto a = randVec(20 * 6, 10);
    for (int64_t i = 0; i < 20; i++) a[i * 6 + 2] = 0.f;
    run(a, 20, 6, "zero-column");
    auto w = randVec(6 * 20, 11);
    for (int64_t j = 0; j < 20; j++) w[3 * 20 + j] = w[1 * 20 + j];
    run(w, 6, 20, "duplicate-rows");
  }
  {  // NaN input: refused with an exception, not a wrong answer
    std::vector<float> a(9, 1.f), u(9), s(3), v(9);
    a[4] = NAN;
    bool threw = false;
    try {
      tc::svd_host(a.data(), 3, 3, u.data(), s.data(), v.data());
    } catch (const std::exception&) {
      threw = true;
    }
    if (!threw) std::printf("  MISMATCH svd: a NaN input did not throw\n");
    cases++;
    fails += !threw;
  }
  std::printf("svd conformance: %d cases, %d failed\n", cases, fails);
  g_failures += fails;
  jsonSet("svd_conformance", "{\"cases\": " + std::to_string(cases) + ", \"failed\": " + std::to_string(fails) + "}");
}

// ---- timings -----------------------------------------------------------------------------------

template <typename F>
static double timeMs(F&& f, int reps) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  f();  // warm-up
  CK(cudaStreamSynchronize(cudaStreamPerThread));
  CK(cudaEventRecord(e0, cudaStreamPerThread));
  for (int i = 0; i < reps; i++) f();
  CK(cudaEventRecord(e1, cudaStreamPerThread));
  CK(cudaEventSynchronize(e1));
  float ms = 0;
  CK(cudaEventElapsedTime(&ms, e0, e1));
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return ms / reps;
}

static void timeGemm() {
  std::string out = "[";
  bool first = true;
  for (int64_t n : {1024, 2048, 4096, 8192}) {
    auto a = randVec(n * n, 11), b = randVec(n * n, 12);
    Dev<float> da(a), db(b), dc{size_t(n * n)};
    trimnet::GemmParams p;
    p.m = p.n = p.k = n, p.a = da.p, p.b = db.p, p.c = dc.p;
    const double flops = 2.0 * n * n * n;
    const int reps = int(std::clamp(4e12 / flops, 3.0, 50.0));
    double ms = timeMs([&] { tc::gemm_device(p, tc::GemmKernel::Tiled); }, reps);
    // Spot-check 64 entries of the timed result against double dot products.
    auto c = dc.get();
    std::mt19937 rng(13);
    double worst = 0;
    for (int t = 0; t < 64; t++) {
      int64_t i = rng() % n, j = rng() % n;
      double ref = 0;
      for (int64_t q = 0; q < n; q++) ref += double(a[i * n + q]) * b[q * n + j];
      worst = std::max(worst, std::fabs(c[i * n + j] - ref) / (1 + std::fabs(ref)));
    }
    const bool ok = worst < 1e-5 * std::sqrt(double(n)) * 4;
    if (!ok) std::printf("  MISMATCH timed gemm %ld: worst rel err %.2e\n", long(n), worst), g_failures++;
    double ms32 = timeMs([&] { tc::gemm_device(p, tc::GemmKernel::TF32); }, reps);
    std::printf("gemm %5ld: %.3f ms = %.1f TFLOP/s (tf32 %.3f ms = %.1f TFLOP/s)%s\n", long(n), ms, flops / ms / 1e9, ms32,
                flops / ms32 / 1e9, ok ? "" : " WRONG");
    out += std::string(first ? "" : ", ") + "{\"n\": " + std::to_string(n) + ", \"ms\": " + std::to_string(ms) +
           ", \"tf32_ms\": " + std::to_string(ms32) + ", \"ok\": " + (ok ? "true" : "false") + "}";
    first = false;
    jsonSet("gemm", out + "]");
  }
}

static void timeColStats() {
  const int64_t rows = 65536, cols = 2048;
  const size_t bytes = sizeof(float) * rows * cols;
  auto x = randVec(rows * cols, 14);
  Dev<float> dx(x), dy{size_t(rows * cols)}, dm{size_t(cols)};
  Dev<double> ds{size_t(cols)}, dsa{size_t(cols)}, dz{size_t(cols)};
  CK(cudaMemset(ds.p, 0, sizeof(double) * cols));
  const int reps = 20;
  double copy = timeMs([&] { CK(cudaMemcpyAsync(dy.p, dx.p, bytes, cudaMemcpyDeviceToDevice, cudaStreamPerThread)); }, reps);
  double ro = timeMs([&] { tc::col_stats_device(dx.p, rows, cols, trimnet::ACT_RELU, 0.01f, ds.p, dsa.p, dz.p, dm.p, false); }, reps);
  // write-back on a copy so x keeps its values (relu is idempotent anyway)
  double wb = timeMs([&] { tc::col_stats_device(dy.p, rows, cols, trimnet::ACT_GELU, 0.01f, ds.p, dsa.p, dz.p, dm.p, true); }, reps);
  const double copyBw = 2.0 * bytes / copy / 1e6;  // GB/s, read + write
  const double roBw = double(bytes) / ro / 1e6, wbBw = 2.0 * bytes / wb / 1e6;
  std::printf("colStats %ldx%ld: read-only %.3f ms = %.0f GB/s, write-back %.3f ms = %.0f GB/s; D2D copy %.3f ms = %.0f GB/s\n",
              long(rows), long(cols), ro, roBw, wb, wbBw, copy, copyBw);
  jsonSet("colstats", "{\"rows\": " + std::to_string(rows) + ", \"cols\": " + std::to_string(cols) + ", \"ms\": " +
          std::to_string(ro) + ", \"gbps\": " + std::to_string(roBw) + ", \"writeback_ms\": " + std::to_string(wb) +
          ", \"writeback_gbps\": " + std::to_string(wbBw) + ", \"copy_ms\": " + std::to_string(copy) + ", \"copy_gbps\": " +
          std::to_string(copyBw) + "}");
}

// Sizes double until maxN, while the next one is expected to fit the stage's budget
// (TRIMNET_SVD_BUDGET_S, default 75 s): Jacobi costs ~n³ per sweep and a few more sweeps as n
// grows, so the next size is estimated at 10× the last.
static void timeSvd(int64_t maxN) {
  std::string out = "[";
  bool first = true;
  const char* env = std::getenv("TRIMNET_SVD_BUDGET_S");
  const double budgetMs = 1000.0 * (env ? std::atof(env) : 75.0);
  const auto start = std::chrono::steady_clock::now();
  double lastMs = 0;
  for (int64_t n = 256; n <= maxN; n *= 2) {
    const double spent = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (lastMs > 0 && spent + 10 * lastMs > budgetMs) {
      std::printf("svd %5ld: skipped (estimated %.0f s; %.0f s of the %.0f s budget left)\n", long(n), 10 * lastMs / 1000,
                  (budgetMs - spent) / 1000, budgetMs / 1000);
      char buf[160];
      std::snprintf(buf, sizeof buf, "{\"n\": %ld, \"skipped\": \"estimated %.0f s, over the stage budget\"}", long(n),
                    10 * lastMs / 1000);
      out += std::string(first ? "" : ", ") + buf;
      jsonSet("svd", out + "]");
      break;
    }
    auto a = randVec(n * n, 15);
    std::vector<float> u(n * n), s(n), v(n * n);
    const int reps = n <= 1024 ? 3 : 1;
    tc::SvdStats st{};
    if (n <= 1024) tc::svd_host(a.data(), n, n, u.data(), s.data(), v.data());  // warm-up (graph, pool)
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; r++) st = tc::svd_host(a.data(), n, n, u.data(), s.data(), v.data());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
    lastMs = ms;
    SvdCheck c = checkSvd(a, n, n, u, s, v);
    const bool ok = c.sorted && c.recon < 1e-4 && c.orthU < 1e-4 && c.orthV < 1e-4;
    if (!ok) g_failures++;
    std::printf("svd %5ld: %.1f ms, %d sweeps, recon %.1e, orth %.1e/%.1e%s\n", long(n), ms, st.sweeps, c.recon, c.orthU,
                c.orthV, ok ? "" : " WRONG");
    char buf[256];
    std::snprintf(buf, sizeof buf, "{\"n\": %ld, \"ms\": %.3f, \"sweeps\": %d, \"recon\": %.3e, \"orth\": %.3e, \"ok\": %s}",
                  long(n), ms, st.sweeps, c.recon, std::max(c.orthU, c.orthV), ok ? "true" : "false");
    out += std::string(first ? "" : ", ") + buf;
    first = false;
    jsonSet("svd", out + "]");
  }
}

// gpu_check OUT.json [SVD_MAX] [STAGES]: STAGES is a comma list of conf-gemm, conf-colstats,
// conf-svd, time-gemm, time-colstats, time-svd (default: all). run.sh runs each stage in its own
// process, so a fault in one (a sticky CUDA error) does not take the others' numbers with it.
int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines reach the log even when a time limit kills us
  if (argc > 1) g_outPath = argv[1];
  const int64_t svdMax = argc > 2 ? std::atol(argv[2]) : 4096;
  const std::string stages = argc > 3 ? argv[3] : "conf-gemm,conf-colstats,conf-svd,time-gemm,time-colstats,time-svd";
  auto want = [&](const char* s) { return ("," + stages + ",").find(std::string(",") + s + ",") != std::string::npos; };
  const std::string& st = tc::status();
  if (st != "ok") {
    std::printf("trimnet gpu check: %s\n", st.c_str());
    std::string msg = st;
    for (auto& ch : msg)
      if (ch == '"' || ch == '\\') ch = '\'';
    g_failures++;
    jsonSet("error", "\"" + msg + "\"");
    return 2;
  }
  try {
    tc::DeviceInfo d = tc::device_info();
    std::printf("device: %s (sm_%d%d, %d SMs, %.1f GiB), driver %d, runtime %d\n", d.name.c_str(), d.major, d.minor,
                d.sm_count, d.total_mem / 1073741824.0, d.driver_version, d.runtime_version);
    jsonSet("device", "\"" + d.name + "\"");
    jsonSet("cc", "\"" + std::to_string(d.major) + "." + std::to_string(d.minor) + "\"");
    if (want("conf-gemm")) conformanceGemm();
    if (want("conf-colstats")) conformanceColStats();
    if (want("conf-svd")) conformanceSvd();
    if (want("time-gemm")) timeGemm();
    if (want("time-colstats")) timeColStats();
    if (want("time-svd")) timeSvd(svdMax);
  } catch (const std::exception& e) {
    std::printf("trimnet gpu check: error: %s\n", e.what());
    std::string msg = e.what();
    for (auto& ch : msg)
      if (ch == '"' || ch == '\\') ch = '\'';
    g_failures++;
    jsonSet("error", "\"" + stages + ": " + msg + "\"");
  }
  jsonSet("done", "true");  // (also rewrites "failures")
  std::printf("%s\n", g_failures ? "FAILURES (see MISMATCH / error lines)" : "checks passed");
  return g_failures ? 1 : 0;
}
