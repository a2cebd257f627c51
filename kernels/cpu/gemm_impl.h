// The GEMM and colStats algorithms, written once over a vector-traits type T and instantiated
// by each ISA file (gemm_avx512.cpp, gemm_avx2.cpp, gemm_scalar.cpp), which is compiled with
// that ISA's flags. Everything here is in an anonymous namespace so no ISA's code can leak
// into another file through the linker.
//
// The math:  C[m×n] = act( alpha · op(A)[m×k] · op(B)[k×n] + beta · C + bias[n] ), row-major.
//
// Blocking (GotoBLAS/BLIS, with the roles of A and B swapped because C is row-major and the
// vectors run along n):
//   for ic in m step MB                       A panel MB×KC (L3)
//     for pc in k step kc ≤ 9/8·KC (even)     pack A panel into MR-row slivers  [q][r]
//       for jc in n step NB                   pack B block KC×NB into NR-col slivers [q][c] (L2)
//         for ir in panel step MR             one A sliver MR×KC stays in L1
//           for jr in block step NR           B slivers stream from L2 (NB from the L2 size)
//             micro-kernel: MR×NR accumulators in registers, kc rank-1 updates with FMA
//             epilogue on the tile: pc == 0: C = alpha·acc + beta·C (C not read when beta == 0)
//                                   pc > 0:  C += alpha·acc
//                                   last pc: C = act(C + bias)
// Transposes are absorbed by the packing routines. Edge tiles are zero-padded in the packs and
// stored with masked loads/stores. Small m (the inference shape 1×k·Bᵀ) skips packing, and so
// do products under 2 MFLOP (direct tiles over A and B in place, one thread: packing and waking
// a worker would cost more than they save there) and C narrower than one packed sliver.
//
// Threads: the output is cut into chunks (column ranges, or row ranges when n is narrow), and
// workers take chunks from an atomic counter, each running the single-thread loop above with its
// own packs. No barriers: a worker that the OS delays does not stall the others.
#pragma once
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "gemm_internal.h"
#include "thread_pool.h"

// Chunks per thread: more balance when the OS delays a thread, but each chunk packs its own
// copy of the shared operand.
#ifndef TRIMNET_CHUNKS_PER_THREAD
#define TRIMNET_CHUNKS_PER_THREAD 2
#endif

namespace {

using trimnet::GemmParams;

template <class X>
inline X min_(X a, X b) { return a < b ? a : b; }
template <class X>
inline X max_(X a, X b) { return a > b ? a : b; }

// ---- vectorised activations ---------------------------------------------------------------
// exp: Cody-Waite range reduction x = n·ln2 + r, degree-6 polynomial on |r| <= ln2/2
// (relative error ~2e-7 in float32), 2^n built in the exponent bits.
template <class T>
inline typename T::V vexp(typename T::V x) {
  using V = typename T::V;
  x = T::min(T::set1(88.3f), T::max(T::set1(-87.3f), x));  // max/min return x when x is NaN
  V n = T::round(T::mul(x, T::set1(1.44269504088896341f)));
  V r = T::fmadd(n, T::set1(-0.693359375f), x);
  r = T::fmadd(n, T::set1(2.12194440e-4f), r);
  V p = T::set1(1.9875691500e-4f);
  p = T::fmadd(p, r, T::set1(1.3981999507e-3f));
  p = T::fmadd(p, r, T::set1(8.3334519073e-3f));
  p = T::fmadd(p, r, T::set1(4.1665795894e-2f));
  p = T::fmadd(p, r, T::set1(1.6666665459e-1f));
  p = T::fmadd(p, r, T::set1(5.0000001201e-1f));
  p = T::fmadd(p, T::mul(r, r), r);
  p = T::add(p, T::set1(1.f));
  return T::mul(p, T::pow2n(n));
}

// erf(x) by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7): 1 - t·poly(t)·exp(-x²), t = 1/(1+p|x|).
template <class T>
inline typename T::V verf(typename T::V x) {
  using V = typename T::V;
  V z = T::abs(x);
  V t = T::div(T::set1(1.f), T::fmadd(z, T::set1(0.3275911f), T::set1(1.f)));
  V p = T::set1(1.061405429f);
  p = T::fmadd(p, t, T::set1(-1.453152027f));
  p = T::fmadd(p, t, T::set1(1.421413741f));
  p = T::fmadd(p, t, T::set1(-0.284496736f));
  p = T::fmadd(p, t, T::set1(0.254829592f));
  p = T::mul(p, t);
  V e = vexp<T>(T::mul(T::sub(T::set1(0.f), z), z));
  V r = T::sub(T::set1(1.f), T::mul(p, e));
  return T::copysign(r, x);
}

// tanh: 1 - 2/(exp(2|x|)+1) with the sign put back; an odd Taylor polynomial for |x| < 0.04
// where the subtraction would cancel (keeps tiny values, and exact zeros, exact).
template <class T>
inline typename T::V vtanh(typename T::V x) {
  using V = typename T::V;
  V z = T::abs(x);
  V e = vexp<T>(T::add(z, z));
  V big = T::sub(T::set1(1.f), T::div(T::set1(2.f), T::add(e, T::set1(1.f))));
  V z2 = T::mul(z, z);
  V small = T::fmadd(T::mul(z, z2), T::fmadd(z2, T::set1(0.133333333f), T::set1(-0.333333333f)), z);
  return T::copysign(T::lt_select(z, T::set1(0.04f), small, big), x);
}

template <class T>
inline typename T::V vact(typename T::V x, int act, float slope) {
  using V = typename T::V;
  switch (act) {
    case trimnet::ACT_RELU: return T::max(x, T::set1(0.f));  // NaN -> 0, as x > 0 ? x : 0
    case trimnet::ACT_LEAKY_RELU: return T::gt0_select(x, x, T::mul(x, T::set1(slope)));
    case trimnet::ACT_GELU: {
      V c = T::mul(T::set1(0.5f), x);
      return T::fmadd(c, verf<T>(T::mul(x, T::set1(0.70710678118654752f))), c);
    }
    case trimnet::ACT_TANH: return vtanh<T>(x);
    case trimnet::ACT_SIGMOID:
      return T::div(T::set1(1.f), T::add(T::set1(1.f), vexp<T>(T::sub(T::set1(0.f), x))));
    default: return x;
  }
}

// In place over a contiguous row of n floats.
template <class T>
inline void act_row(float* x, int64_t n, int act, float slope) {
  if (act == trimnet::ACT_IDENTITY) return;
  int64_t j = 0;
  for (; j + T::W <= n; j += T::W) T::store(x + j, vact<T>(T::load(x + j), act, slope));
  if (j < n) {
    int c = static_cast<int>(n - j);
    T::storen(x + j, vact<T>(T::loadn(x + j, c), act, slope), c);
  }
}

// ---- the packed GEMM ----------------------------------------------------------------------
enum : int { EP_FIRST = 1, EP_LAST = 2 };

struct Epi {
  float alpha, beta, slope;
  const float* bias;
  int act;
  std::atomic<int>* nonfinite = nullptr;  // GemmParams::nonfinite
};

// Raises e.nonfinite when chk (a sum of x − x over values x: 0 for finite ones) is not 0.
template <class T>
inline void flag_nonfinite(const Epi& e, typename T::V chk) {
  float s = T::hsum(chk);
  if (s != s) e.nonfinite->store(1, std::memory_order_relaxed);
}

template <class T, int MR, int NV>
struct Gemm {
  using V = typename T::V;
  static constexpr int W = T::W;
  static constexpr int NR = NV * W;

  // r[i] = the qn floats at src + i·ld for i < rows (zeros past qn, and for i >= rows), then
  // transposed: r[q] holds depth q of those rows. The packs' W×W blocks, read contiguously.
  static void load_transposed(V (&r)[W], const float* src, int64_t ld, int rows, int qn) {
    for (int i = 0; i < W; i++) {
      if (i >= rows) r[i] = T::zero();
      else r[i] = qn == W ? T::loadu(src + i * ld) : T::loadn(src + i * ld, qn);
    }
    T::transpose(r);
  }

  // A panel rows [i0, i0+mb) × cols [p0, p0+kc) of op(A) -> slivers of MR rows, [q][r] inside.
  static void pack_a(const GemmParams& p, int64_t i0, int64_t mb, int64_t p0, int64_t kc, float* dst) {
    for (int64_t s = 0; s < mb; s += MR) {
      float* d = dst + s * kc;
      int rows = static_cast<int>(min_<int64_t>(MR, mb - s));
      if (p.trans_a) {  // A stored k×m: row q of the stored matrix holds op(A)(:, q)
        for (int64_t q = 0; q < kc; q++) {
          const float* src = p.a + (p0 + q) * p.m + i0 + s;
          int r = 0;
          for (; r < rows; r++) d[q * MR + r] = src[r];
          for (; r < MR; r++) d[q * MR + r] = 0.f;
        }
      } else if constexpr (MR <= W && W > 1) {
        // W depths at a time: the next W floats of each of the MR rows (read contiguously),
        // transposed in registers, become W depth rows of the sliver, MR floats each (rows past
        // `rows` pack as zeros). Each store writes a whole vector, whose last W − MR lanes the
        // next depth row's store overwrites; the sliver's last one is masked to MR.
        for (int64_t q0 = 0; q0 < kc; q0 += W) {
          const int qn = static_cast<int>(min_<int64_t>(W, kc - q0));
          V r[W];
          load_transposed(r, p.a + (i0 + s) * p.k + p0 + q0, p.k, rows, qn);
          for (int i = 0; i < qn; i++) {
            if (q0 + i + 1 < kc) T::storeu(d + (q0 + i) * MR, r[i]);
            else T::storen(d + (q0 + i) * MR, r[i], MR);
          }
        }
      } else {  // MR row streams read side by side, the sliver written contiguously
        const float* src[MR];
        for (int r = 0; r < MR; r++) src[r] = p.a + (i0 + s + min_(r, rows - 1)) * p.k + p0;
        for (int64_t q = 0; q < kc; q++) {
          for (int r = 0; r < MR; r++) d[q * MR + r] = r < rows ? src[r][q] : 0.f;
        }
      }
    }
  }

  // B block rows [p0, p0+kc) × cols [j0, j0+nb) of op(B) -> slivers of NR columns, [q][c] inside.
  static void pack_b(const GemmParams& p, int64_t p0, int64_t kc, int64_t j0, int64_t nb, float* dst) {
    for (int64_t t = 0; t < nb; t += NR) {
      float* d = dst + t * kc;
      int cols = static_cast<int>(min_<int64_t>(NR, nb - t));
      if (!p.trans_b) {
        for (int64_t q = 0; q < kc; q++) {
          const float* src = p.b + (p0 + q) * p.n + j0 + t;
          float* dq = d + q * NR;
          if (cols == NR) {
            for (int v = 0; v < NV; v++) T::store(dq + v * W, T::loadu(src + v * W));
          } else {
            int c = 0;
            for (; c < cols; c++) dq[c] = src[c];
            for (; c < NR; c++) dq[c] = 0.f;
          }
        }
      } else {  // B stored n×k: op(B)(q, j) = b[j*k + q]
        // W×W blocks transposed in registers: W columns of op(B) (rows of B, W depths each, read
        // contiguously) become W depth rows of the sliver. Columns past `cols` pack as zeros.
        for (int c0 = 0; c0 < NR; c0 += W) {
          for (int64_t q0 = 0; q0 < kc; q0 += W) {
            const int qn = static_cast<int>(min_<int64_t>(W, kc - q0));
            V r[W];
            load_transposed(r, p.b + (j0 + t + c0) * p.k + p0 + q0, p.k, cols - c0, qn);
            for (int i = 0; i < qn; i++) T::storeu(d + (q0 + i) * NR + c0, r[i]);
          }
        }
      }
    }
  }

  // One MR×NR tile: acc = A rows · Bsliver over kc, then the epilogue into C. The A rows are a
  // packed sliver ([q][r], MR floats a depth), or, IN_PLACE, A itself read as MLAS reads it (rows
  // lda floats apart): for a narrow C packing A costs as much as a tenth of the product (each
  // element is copied once and used only n times); IN_PLACE tiles are always MR rows. NVt < NV
  // computes only the sliver's first NVt vectors (a last sliver of C's columns that fits in
  // fewer: 194 columns end in a sliver of 2, and a 32-wide tile would spend 15 of 16 FMAs on
  // padding). Each element gets the same FMAs in the same order either way.
  template <bool IN_PLACE, int NVt>
  static inline void tile(int64_t kc, const float* __restrict a, int64_t lda, const float* __restrict b, float* c,
                          int64_t ldc, int mrem, int nrem, int mode, const Epi& e, const float* bias) {
    const int64_t ars = IN_PLACE ? lda : 1, aqs = IN_PLACE ? 1 : MR;  // row and depth strides of a
    V acc[MR][NVt];
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NVt; v++) acc[r][v] = T::zero();
    // The C tile is touched only after kc rank-1 updates: ask for its lines now so the epilogue
    // does not wait on memory.
    for (int r = 0; r < MR; r++) {
      __builtin_prefetch(c + r * ldc, 1);
      __builtin_prefetch(c + r * ldc + NVt * W - 1, 1);
    }
    for (int64_t q = 0; q < kc; q++) {
      V bv[NVt];
      for (int v = 0; v < NVt; v++) bv[v] = T::load(b + v * W);
      for (int r = 0; r < MR; r++) {
        V av = T::set1(a[r * ars]);
        for (int v = 0; v < NVt; v++) acc[r][v] = T::fmadd(av, bv[v], acc[r][v]);
      }
      a += aqs;
      b += NR;
    }
    epilogue<MR, NVt>(acc, c, ldc, mrem, nrem, mode, e, bias);
  }

  // A last sliver of C's columns that fits in one vector (194 = 6·32 + 2) is computed one vector
  // wide, not NV: the other vectors would be padding.
  static constexpr bool one_vector(int ncols) { return NV > 1 && ncols <= W; }

  // A in place pays when C is narrow (few column tiles share each packed sliver) and A's rows do
  // not all fall in the same L1 sets (a row stride of a multiple of 1 KiB would have the MR rows
  // evict each other).
  static bool a_in_place(const GemmParams& p) { return !p.trans_a && p.n <= 16 * NR && p.k % 256 != 0; }

  // acc (R rows × NR) into C: pc == 0: C = alpha·acc + beta·C (C not read when beta == 0);
  // pc > 0: C += alpha·acc; last pc: C = act(C + bias). Rows from mrem and columns from nrem on
  // are not stored. Always inlined: as a call, acc would live in memory through the FMA loop.
  template <int R, int NVt>
  __attribute__((always_inline)) static inline void epilogue(const V (&acc)[R][NVt], float* c, int64_t ldc, int mrem, int nrem, int mode,
                              const Epi& e, const float* bias) {
    V va = T::set1(e.alpha), vb = T::set1(e.beta), chk = T::zero();
    const bool check = e.nonfinite && (mode & EP_LAST);
    for (int r = 0; r < R; r++) {
      if (r >= mrem) break;
      float* cr = c + r * ldc;
      for (int v = 0; v < NVt; v++) {
        int cnt = nrem - v * W;
        if (cnt <= 0) break;
        V x = T::mul(acc[r][v], va);
        if (cnt >= W) {
          if (!(mode & EP_FIRST)) x = T::add(x, T::loadu(cr + v * W));
          else if (e.beta != 0.f) x = T::fmadd(vb, T::loadu(cr + v * W), x);
          if (check) chk = T::add(chk, T::sub(x, x));
          if (mode & EP_LAST) {
            if (bias) x = T::add(x, T::loadu(bias + v * W));
            x = vact<T>(x, e.act, e.slope);
          }
          T::storeu(cr + v * W, x);
        } else {
          if (!(mode & EP_FIRST)) x = T::add(x, T::loadn(cr + v * W, cnt));
          else if (e.beta != 0.f) x = T::fmadd(vb, T::loadn(cr + v * W, cnt), x);
          if (check) chk = T::add(chk, T::sub(x, x));  // lanes past cnt: padding, finite but for a non-finite A or B
          if (mode & EP_LAST) {
            if (bias) x = T::add(x, T::loadn(bias + v * W, cnt));
            x = vact<T>(x, e.act, e.slope);
          }
          T::storen(cr + v * W, x, cnt);
        }
      }
    }
    if (check) flag_nonfinite<T>(e, chk);
  }

  // ---- direct: no packing, for products too small to repay it (see Driver::gemm) ----------
  // The same arithmetic as tile(), element by element (acc from zero, one FMA per q in order,
  // k blocks, the same epilogue), so a shape gives bitwise the same C whichever path runs; only
  // the operands are read in place: op(A) rows broadcast from A itself (TA: A stored k×m, row r
  // of op(A) is column r), B rows (k×n, row stride ldb) a vector at a time. A tile is R rows ×
  // NVt vectors, both cut to what is left (no FMA wasted on padding); the last vector is masked
  // to nrem, so nothing past the end of B or C is read.
  static constexpr int DR = T::DIRECT_R, DNV = T::DIRECT_NV, DNR = DNV * W;

  // EDGE: nrem is not a multiple of W, so the last vector runs past the row. For the first
  // `whole` rows of this k block that over-read stays inside B (it reads the next row's first
  // columns into lanes that are never stored: lanes do not mix, so C is unchanged); the rows
  // after it load masked (a masked load on every row costs ~2×: the mask is rebuilt each time).
  template <bool TA, int R, int NVt, bool EDGE>
  static void tile_direct(int64_t kc, const float* __restrict a, int64_t lda, const float* __restrict b, int64_t ldb,
                          int64_t whole, float* c, int64_t ldc, int mrem, int nrem, int mode, const Epi& e,
                          const float* bias) {
    V acc[R][NVt];
    for (int r = 0; r < R; r++)
      for (int v = 0; v < NVt; v++) acc[r][v] = T::zero();
    const int last = nrem - (NVt - 1) * W;  // columns in the last vector, 1..W
    const int64_t ars = TA ? 1 : lda, aqs = TA ? lda : 1;
    const int64_t qf = EDGE ? min_(kc, whole) : kc;
    for (int64_t q = 0; q < kc; q++) {
      V bv[NVt];
      for (int v = 0; v + 1 < NVt; v++) bv[v] = T::loadu(b + v * W);
      bv[NVt - 1] = (!EDGE || q < qf) ? T::loadu(b + (NVt - 1) * W) : T::loadn(b + (NVt - 1) * W, last);
      for (int r = 0; r < R; r++) {
        V av = T::set1(a[r * ars]);
        for (int v = 0; v < NVt; v++) acc[r][v] = T::fmadd(av, bv[v], acc[r][v]);
      }
      a += aqs;
      b += ldb;
    }
    epilogue<R, NVt>(acc, c, ldc, mrem, nrem, mode, e, bias);
  }

  using DirectTile = void (*)(int64_t, const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t, int,
                              int, int, const Epi&, const float*);
  // The instantiation for (TA, rows, nv, edge): tables built from integer sequences 1..DR, 1..DNV.
  template <bool TA, int R, int... Vs>
  static DirectTile pick_nv(int nv, bool edge, std::integer_sequence<int, Vs...>) {
    static constexpr DirectTile whole[] = {&tile_direct<TA, R, Vs + 1, false>...};
    static constexpr DirectTile part[] = {&tile_direct<TA, R, Vs + 1, true>...};
    return edge ? part[nv - 1] : whole[nv - 1];
  }
  template <bool TA, int... Rs>
  static DirectTile pick_rows(int rows, int nv, bool edge, std::integer_sequence<int, Rs...>) {
    static constexpr DirectTile (*t[])(int, bool, std::make_integer_sequence<int, DNV>) = {&pick_nv<TA, Rs + 1>...};
    return t[rows - 1](nv, edge, std::make_integer_sequence<int, DNV>());
  }
  // edge: a column tile whose last vector is partial (n not a multiple of W).
  static DirectTile direct_tile_for(bool ta, int rows, int nv, bool edge) {
    return ta ? pick_rows<true>(rows, nv, edge, std::make_integer_sequence<int, DR>())
              : pick_rows<false>(rows, nv, edge, std::make_integer_sequence<int, DR>());
  }

  // op(B) as the direct tiles read it: k×n row-major, in place, or a transposed B copied so
  // into bt (k·n floats).
  static const float* direct_b(const GemmParams& p, float* bt) {
    if (!p.trans_b) return p.b;
    for (int64_t q = 0; q < p.k; q++)
      for (int64_t j = 0; j < p.n; j++) bt[q * p.n + j] = p.b[j * p.k + q];
    return bt;
  }

  // Row tiles of the direct path: as even as DR allows (64 rows and DR 12: 6 tiles of 10 or 11,
  // not 5 of 12 and one of 4); tile t holds rows [t·m/rt, (t+1)·m/rt).
  static int64_t direct_row_tiles(int64_t m) { return (m + DR - 1) / DR; }

  // Row tiles [t0, t1) of C by direct tiles: each row tile × DNR-column tiles, each over all of k
  // (the k blocks of kc_block in order, as region() does). b: op(B) as direct_b gives it.
  static void direct(const GemmParams& p, const Epi& e, const float* b, int64_t t0, int64_t t1) {
    const int64_t rt = direct_row_tiles(p.m), lda = p.trans_a ? p.m : p.k, KB = kc_block(p.k);
    for (int64_t j = 0; j < p.n; j += DNR) {
      const int nrem = static_cast<int>(min_<int64_t>(DNR, p.n - j)), nv = (nrem + W - 1) / W;
      // Rows q (of all k) whose full last vector ends inside B's k·n floats (edge tiles only).
      const int64_t over = j + int64_t(nv) * W - p.n;
      const int64_t whole = over > 0 ? p.k - (over + p.n - 1) / p.n : p.k;
      for (int64_t t = t0; t < t1; t++) {
        const int64_t i = t * p.m / rt;
        const int rows = static_cast<int>((t + 1) * p.m / rt - i);
        DirectTile f = direct_tile_for(p.trans_a, rows, nv, nrem % W != 0);
        for (int64_t pc = 0; pc < p.k; pc += KB) {
          int64_t kc = min_(KB, p.k - pc);
          int mode = (pc == 0 ? EP_FIRST : 0) | (pc + kc >= p.k ? EP_LAST : 0);
          const float* a = p.trans_a ? p.a + pc * p.m + i : p.a + i * p.k + pc;
          f(kc, a, lda, b + pc * p.n + j, p.n, whole - pc, p.c + i * p.n + j, p.n, rows, nrem, mode, e,
            e.bias ? e.bias + j : nullptr);
        }
      }
    }
  }

  // KC is fixed per ISA: it decides how each k-sum is split, so it must not depend on the machine
  // (results stay bitwise the same on every CPU with this ISA). MB (the A panel, L3) is fixed too.
  static constexpr int64_t KC = T::KC;
  static constexpr int64_t MB = (T::MB / MR) * MR;
  // NB sizes the packed KC×NB block of B that every A sliver streams through: it must stay in L2,
  // with room for the A sliver and the C tile, so it takes at most 60 % of this CPU's L2 (read at
  // run time: a 512 KiB Zen 3 L2 gets half the block of a 1 MiB Zen 4/5 one). Changing NB only
  // regroups tiles, never the arithmetic of an element.
  static int64_t nb() {
    static const int64_t v = [] {
      int64_t fit = static_cast<int64_t>(0.6 * double(trimnet::l2_cache_bytes()) / double(KC * sizeof(float)));
      return max_<int64_t>(4 * NR, min_<int64_t>(2048, fit / NR * NR));
    }();
    return v;
  }

  // The k blocks: as even as possible, each at most KCMAX = 9/8·KC. A k just past a multiple of KC
  // would otherwise end in a thin block (784 = 384 + 384 + 16) that pays a whole pass over C and a
  // packing of both operands for a few rank-1 updates; 784 becomes 392 + 392. The split depends
  // on k and the ISA's KC only, so results stay the same on every CPU of the ISA.
  static constexpr int64_t KCMAX = KC + KC / 8;
  static int64_t kc_block(int64_t k) {
    int64_t blocks = (k + KCMAX - 1) / KCMAX;
    return (k + blocks - 1) / max_<int64_t>(1, blocks);
  }

  static size_t workspace_floats() { return static_cast<size_t>(MB * KCMAX + nb() * KCMAX) + 64; }

  // The single-thread loop nest over C[i0:i1, j0:j1].
  static void region(const GemmParams& p, const Epi& e, int64_t i0, int64_t i1, int64_t j0, int64_t j1, float* ws) {
    float* ap = ws;
    float* bp = ws + MB * KCMAX;
    const int64_t NB = nb();
    const bool in_place = a_in_place(p);
    for (int64_t ic = i0; ic < i1; ic += MB) {
      int64_t mb = min_(MB, i1 - ic);
      const int64_t KB = kc_block(p.k);
      for (int64_t pc = 0; pc < p.k; pc += KB) {
        int64_t kc = min_(KB, p.k - pc);
        int mode = (pc == 0 ? EP_FIRST : 0) | (pc + kc >= p.k ? EP_LAST : 0);
        // In place, only a last partial sliver is packed (its rows past m must read as zeros).
        const int64_t whole = in_place ? mb / MR * MR : 0;
        pack_a(p, ic + whole, mb - whole, pc, kc, ap + whole * kc);
        for (int64_t jc = j0; jc < j1; jc += NB) {
          int64_t nb = min_(NB, j1 - jc);
          // Weights packed once are read where they lie (jc is a whole number of slivers).
          const float* bb = p.b_packed ? p.b_packed + pc * padded_n(p.n) + jc * kc : bp;
          if (!p.b_packed) pack_b(p, pc, kc, jc, nb, bp);
          for (int64_t ir = 0; ir < mb; ir += MR) {
            int mrem = static_cast<int>(min_<int64_t>(MR, mb - ir));
            for (int64_t jr = 0; jr < nb; jr += NR) {
              int nrem = static_cast<int>(min_<int64_t>(NR, nb - jr));
              float* c = p.c + (ic + ir) * p.n + jc + jr;
              const float* bias = e.bias ? e.bias + jc + jr : nullptr;
              const float* b = bb + jr * kc;
              const bool one = one_vector(nrem);
              if (ir < whole) {
                const float* a = p.a + (ic + ir) * p.k + pc;
                if (one) tile<true, 1>(kc, a, p.k, b, c, p.n, mrem, nrem, mode, e, bias);
                else tile<true, NV>(kc, a, p.k, b, c, p.n, mrem, nrem, mode, e, bias);
              } else {
                const float* a = ap + ir * kc;
                if (one) tile<false, 1>(kc, a, 0, b, c, p.n, mrem, nrem, mode, e, bias);
                else tile<false, NV>(kc, a, 0, b, c, p.n, mrem, nrem, mode, e, bias);
              }
            }
          }
        }
      }
    }
  }

  // ---- weights packed once (gemm.h pack_weights, a frozen model) -----------------------------
  // W [n × k] is the B of C = A·Wᵀ. Packed, k block pc (the kc_block(k) split) holds kc × padded_n
  // floats at pc · padded_n: NR-column slivers of op(B) = Wᵀ as pack_b writes them ([q][c] inside,
  // sliver s at s · NR · kc), columns past n zero. region() reads a block where pack_b would
  // have copied it.
  static int64_t padded_n(int64_t n) { return (n + NR - 1) / NR * NR; }
  static int64_t packed_floats(int64_t n, int64_t k) { return k * padded_n(n); }
  static void pack_weights(const float* w, int64_t n, int64_t k, float* dst) {
    GemmParams p;
    p.n = n;
    p.k = k;
    p.b = w;
    p.trans_b = true;
    const int64_t KB = kc_block(k);
    for (int64_t pc = 0; pc < k; pc += KB) pack_b(p, pc, min_(KB, k - pc), 0, n, dst + pc * padded_n(n));
  }

  // One sample through packed weights (the frozen single request):
  //   y[j] = act( sum_q x[q] · W[j][q] + bias[j] )   for j in [j0, j1)
  // Per output the FMAs and the epilogue of region()'s tile, in the same order (acc from zero in
  // each k block, q ascending), so a sample gives bitwise its row of the batch forward. The
  // weights stream contiguously: S slivers side by side (2·S FMA chains, enough to hide the FMA
  // latency), each vector of W used once. j0 is a whole number of slivers; j1 too, or n.
  static constexpr int GEMV_S = 6;  // slivers at a time: 2·6 accumulators of the 16 (AVX2) or 32 registers

  // NARROW: the last sliver is one_vector.
  template <int S, bool NARROW>
  static void gemv_slivers(const float* x, const float* blk, int64_t kc, float* y, int nlast, int mode, const Epi& e,
                           const float* bias) {
    V acc[S][1][NV];
    for (int s = 0; s < S; s++)
      for (int v = 0; v < NV; v++) acc[s][0][v] = T::zero();
    for (int64_t q = 0; q < kc; q++) {
      const V xv = T::set1(x[q]);
      for (int s = 0; s < S; s++) {
        const float* b = blk + s * NR * kc + q * NR;
        for (int v = 0; v < ((NARROW && s == S - 1) ? 1 : NV); v++) acc[s][0][v] = T::fmadd(xv, T::load(b + v * W), acc[s][0][v]);
      }
    }
    for (int s = 0; s + 1 < S; s++) epilogue<1, NV>(acc[s], y + s * NR, 0, 1, NR, mode, e, bias ? bias + s * NR : nullptr);
    float* yl = y + (S - 1) * NR;
    const float* bl = bias ? bias + (S - 1) * NR : nullptr;
    if constexpr (NARROW) {
      const V one[1][1] = {{acc[S - 1][0][0]}};
      epilogue<1, 1>(one, yl, 0, 1, nlast, mode, e, bl);
    } else {
      epilogue<1, NV>(acc[S - 1], yl, 0, 1, nlast, mode, e, bl);
    }
  }

  using GemvSlivers = void (*)(const float*, const float*, int64_t, float*, int, int, const Epi&, const float*);
  template <int... Ss>
  static GemvSlivers gemv_pick(int s, bool narrow, std::integer_sequence<int, Ss...>) {
    static constexpr GemvSlivers whole[] = {&gemv_slivers<Ss + 1, false>...};
    static constexpr GemvSlivers part[] = {&gemv_slivers<Ss + 1, true>...};
    return narrow ? part[s - 1] : whole[s - 1];
  }

  static void gemv_packed(const float* x, const float* w, int64_t n, int64_t k, int64_t j0, int64_t j1, float* y,
                          const Epi& e) {
    const int64_t KB = kc_block(k), s0 = j0 / NR, ns = (j1 - j0 + NR - 1) / NR;
    const int64_t groups = (ns + GEMV_S - 1) / GEMV_S;
    for (int64_t pc = 0; pc < k; pc += KB) {
      const int64_t kc = min_(KB, k - pc);
      const int mode = (pc == 0 ? EP_FIRST : 0) | (pc + kc >= k ? EP_LAST : 0);
      const float* blk = w + pc * padded_n(n);
      for (int64_t g = 0; g < groups; g++) {  // groups as even as possible: 7 slivers are 4 + 3
        const int64_t a = s0 + g * ns / groups, b = s0 + (g + 1) * ns / groups;
        const int nlast = static_cast<int>(min_(j1, b * NR) - (b - 1) * NR);
        GemvSlivers f = gemv_pick(static_cast<int>(b - a), one_vector(nlast), std::make_integer_sequence<int, GEMV_S>());
        f(x + pc, blk + a * NR * kc, kc, y + a * NR, nlast, mode, e, e.bias ? e.bias + a * NR : nullptr);
      }
    }
  }
};

// ---- small m: no packing (GEMV-like; the single-request inference shape) -------------------
template <class T>
struct Small {
  using V = typename T::V;
  static constexpr int W = T::W;
  static constexpr int MAXM = 4;

  // Final values for one output row from the raw dot products t[0..n): alpha·t + beta·C + bias, act.
  static void finish(const float* t, float* c, int64_t n, const Epi& e, const float* bias) {
    V va = T::set1(e.alpha), vb = T::set1(e.beta), chk = T::zero();
    int64_t j = 0;
    for (; j < n; j += W) {
      int cnt = static_cast<int>(min_<int64_t>(W, n - j));
      V x = T::mul(T::loadn(t + j, cnt), va);
      if (e.beta != 0.f) x = T::fmadd(vb, T::loadn(c + j, cnt), x);
      if (e.nonfinite) chk = T::add(chk, T::sub(x, x));
      if (bias) x = T::add(x, T::loadn(bias + j, cnt));
      T::storen(c + j, vact<T>(x, e.act, e.slope), cnt);
    }
    if (e.nonfinite) flag_nonfinite<T>(e, chk);
  }

  // m == 1: out[j] = <a, B_j>, J columns at a time with two accumulators each, so 2J
  // independent FMA chains hide the FMA latency (one chain per column stalls on it). With 32
  // vector registers (AVX-512) J = 8: each vector of a then serves eight weight rows, not four
  // (4–6 % faster for 784-512-256-10 and its pruned copy, Zen 5); with 16 (AVX2), J = 4.
  static void dots1(const float* a, const float* b, int64_t k, int64_t j0, int64_t j1, float* out) {
    constexpr int J = W >= 16 ? 8 : 4;
    int64_t j = j0;
    for (; j + J <= j1; j += J) {
      V acc0[J], acc1[J];
      for (int u = 0; u < J; u++) acc0[u] = acc1[u] = T::zero();
      const float* bj[J];
      for (int u = 0; u < J; u++) bj[u] = b + (j + u) * k;
      int64_t q = 0;
      for (; q + 2 * W <= k; q += 2 * W) {
        V a0 = T::loadu(a + q), a1 = T::loadu(a + q + W);
        for (int u = 0; u < J; u++) {
          acc0[u] = T::fmadd(a0, T::loadu(bj[u] + q), acc0[u]);
          acc1[u] = T::fmadd(a1, T::loadu(bj[u] + q + W), acc1[u]);
        }
      }
      for (; q < k; q += W) {
        int cnt = static_cast<int>(min_<int64_t>(W, k - q));
        V a0 = T::loadn(a + q, cnt);
        for (int u = 0; u < J; u++) acc0[u] = T::fmadd(a0, T::loadn(bj[u] + q, cnt), acc0[u]);
      }
      for (int u = 0; u < J; u++) out[j + u] = T::hsum(T::add(acc0[u], acc1[u]));
    }
    if (j < j1) dots(&a, 1, b, k, j, j1, out, 0);
  }

  // op(B) = Bᵀ, B stored n×k: out[i][j] = <a_i, B_j>. Columns [j0, j1).
  static void dots(const float* const* arow, int m, const float* b, int64_t k, int64_t j0, int64_t j1, float* out,
                   int64_t ldo) {
    constexpr int J = 4;
    int64_t j = j0;
    for (; j + J <= j1; j += J) {
      V acc[MAXM][J];
      for (int i = 0; i < MAXM; i++)
        for (int u = 0; u < J; u++) acc[i][u] = T::zero();
      const float* bj[J];
      for (int u = 0; u < J; u++) bj[u] = b + (j + u) * k;
      int64_t q = 0;
      for (; q + W <= k; q += W) {
        V bv[J];
        for (int u = 0; u < J; u++) bv[u] = T::loadu(bj[u] + q);
        for (int i = 0; i < MAXM; i++) {
          if (i >= m) break;
          V av = T::loadu(arow[i] + q);
          for (int u = 0; u < J; u++) acc[i][u] = T::fmadd(av, bv[u], acc[i][u]);
        }
      }
      if (q < k) {
        int cnt = static_cast<int>(k - q);
        V bv[J];
        for (int u = 0; u < J; u++) bv[u] = T::loadn(bj[u] + q, cnt);
        for (int i = 0; i < MAXM; i++) {
          if (i >= m) break;
          V av = T::loadn(arow[i] + q, cnt);
          for (int u = 0; u < J; u++) acc[i][u] = T::fmadd(av, bv[u], acc[i][u]);
        }
      }
      for (int i = 0; i < m; i++)
        for (int u = 0; u < J; u++) out[i * ldo + j + u] = T::hsum(acc[i][u]);
    }
    for (; j < j1; j++) {
      for (int i = 0; i < m; i++) {
        V acc = T::zero();
        int64_t q = 0;
        for (; q + W <= k; q += W) acc = T::fmadd(T::loadu(arow[i] + q), T::loadu(b + j * k + q), acc);
        if (q < k) {
          int cnt = static_cast<int>(k - q);
          acc = T::fmadd(T::loadn(arow[i] + q, cnt), T::loadn(b + j * k + q, cnt), acc);
        }
        out[i * ldo + j] = T::hsum(acc);
      }
    }
  }

  // op(B) = B stored k×n: out[i][j0:j1] = sum_q a_i[q]·B[q, j0:j1] (axpy form, 4 vectors wide).
  static void axpys(const GemmParams& p, int m, const float* const* arow, int64_t astride, int64_t j0, int64_t j1,
                    float* out, int64_t ldo) {
    constexpr int NV = 4;
    for (int64_t j = j0; j < j1; j += NV * W) {
      int nrem = static_cast<int>(min_<int64_t>(NV * W, j1 - j));
      V acc[MAXM][NV];
      for (int i = 0; i < MAXM; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = T::zero();
      for (int64_t q = 0; q < p.k; q++) {
        const float* src = p.b + q * p.n + j;
        V bv[NV];
        if (nrem == NV * W) {
          for (int v = 0; v < NV; v++) bv[v] = T::loadu(src + v * W);
        } else {
          for (int v = 0; v < NV; v++) bv[v] = T::loadn(src + v * W, max_(0, min_(W, nrem - v * W)));
        }
        for (int i = 0; i < MAXM; i++) {
          if (i >= m) break;
          V av = T::set1(arow[i][q * astride]);
          for (int v = 0; v < NV; v++) acc[i][v] = T::fmadd(av, bv[v], acc[i][v]);
        }
      }
      for (int i = 0; i < m; i++)
        for (int v = 0; v < NV; v++) {
          int cnt = nrem - v * W;
          if (cnt <= 0) break;
          T::storen(out + i * ldo + j + v * W, acc[i][v], min_(cnt, W));
        }
    }
  }
};

// ---- drivers ------------------------------------------------------------------------------
template <class T, int MR, int NV>
struct Driver {
  using G = Gemm<T, MR, NV>;
  using S = Small<T>;
  using V = typename T::V;
  static constexpr int W = T::W;

  // Chunks of whole tiles of `unit` rows (MR) or columns (NR), as even as that allows, the larger
  // first: threads take them in order, so each thread's first and second chunks pair a larger
  // with a smaller (22 row tiles in 4 chunks: 6 6 5 5, 11 tiles a thread; fixed 72-row chunks
  // were 6 6 6 4, one thread 12).
  struct Job {
    const GemmParams* p;
    Epi e;
    bool split_n;
    int64_t unit, tiles, nchunks;
    std::atomic<int64_t> next{0};
  };

  static void worker(void* ctx, int tid, int nth) {
    Job& job = *static_cast<Job*>(ctx);
    const GemmParams& p = *job.p;
    float* ws = trimnet::thread_workspace(G::workspace_floats(), tid != 0);
    if (!ws) return;
    const int64_t total = job.split_n ? p.n : p.m;
    const int64_t q = job.tiles / job.nchunks, r = job.tiles % job.nchunks;  // the first r chunks get q + 1 tiles
    for (;;) {
      int64_t c = job.next.fetch_add(1);
      if (c >= job.nchunks) break;
      const int64_t lo = (c * q + min_(c, r)) * job.unit, hi = min_(total, ((c + 1) * q + min_(c + 1, r)) * job.unit);
      if (job.split_n) G::region(p, job.e, 0, p.m, lo, hi, ws);
      else G::region(p, job.e, lo, hi, 0, p.n, ws);
    }
  }

  static constexpr int SMALL_MAX_CHUNKS = 64;
  struct SmallJob {
    const GemmParams* p;
    Epi e;
    const float* arow[S::MAXM];
    int64_t astride;
    int64_t chunk, nchunks;
    std::atomic<bool> claimed[SMALL_MAX_CHUNKS] = {};
  };

  // Each thread first takes its home chunks (the same columns on every call, so the weight rows
  // it streams stay in its core's L2 across requests), then steals any chunk still unclaimed
  // (a worker that never started costs nothing: the caller takes its chunks).
  static void small_worker(void* ctx, int tid, int nth) {
    SmallJob& job = *static_cast<SmallJob*>(ctx);
    const GemmParams& p = *job.p;
    int m = static_cast<int>(p.m);
    float* t = trimnet::thread_workspace(static_cast<size_t>(S::MAXM * job.chunk) + 64, tid != 0);
    if (!t) return;
    int64_t home = job.nchunks * tid / max_(1, nth);
    for (int64_t s = 0; s < job.nchunks; s++) {
      int64_t c = (home + s) % job.nchunks;
      if (job.claimed[c].load(std::memory_order_relaxed) || job.claimed[c].exchange(true)) continue;
      int64_t j0 = c * job.chunk, j1 = min_(p.n, j0 + job.chunk);
      // raw products into t (row stride chunk, shifted so column j0 lands at t[0])
      if (p.trans_b && m == 1) S::dots1(job.arow[0], p.b, p.k, j0, j1, t - j0);
      else if (p.trans_b) S::dots(job.arow, m, p.b, p.k, j0, j1, t - j0, job.chunk);
      else S::axpys(p, m, job.arow, job.astride, j0, j1, t - j0, job.chunk);
      for (int i = 0; i < m; i++)
        S::finish(t + i * job.chunk, p.c + i * p.n + j0, j1 - j0, job.e, job.e.bias ? job.e.bias + j0 : nullptr);
    }
  }

  static constexpr double DIRECT_MAX_FLOPS = 2.0e6;

  // The direct path over row tiles, shared by threads (products too big for one core but narrower
  // than one packed sliver).
  struct DirectJob {
    const GemmParams* p;
    Epi e;
    const float* b;
    int64_t tiles, per;
    std::atomic<int64_t> next{0};
  };
  static void direct_worker(void* ctx, int, int) {
    DirectJob& j = *static_cast<DirectJob*>(ctx);
    for (;;) {
      const int64_t t0 = j.next.fetch_add(1) * j.per;
      if (t0 >= j.tiles) break;
      G::direct(*j.p, j.e, j.b, t0, min_(j.tiles, t0 + j.per));
    }
  }

  static void gemm(const GemmParams& p, int nthreads) {
    Epi e{p.alpha, p.beta, p.slope, p.bias, p.act, p.nonfinite};
    double flops = 2.0 * double(p.m) * double(p.n) * double(p.k);
    // Small m without packing; op(A) rows must be contiguous for the dot form (Bᵀ), so
    // transA with transB and m > 1 goes the packed way.
    if (p.m <= S::MAXM && !p.b_packed && (p.m == 1 || !p.trans_a || !p.trans_b)) {
      SmallJob job;
      job.p = &p;
      job.e = e;
      // op(A) row i: contiguous unless transA (then stride m; m == 1 is contiguous anyway).
      job.astride = p.trans_a ? p.m : 1;
      for (int i = 0; i < p.m; i++) job.arow[i] = p.trans_a ? p.a + i : p.a + i * p.k;
      // Memory-bound: threads only pay off when B is much larger than one core's L2 (waking a
      // worker costs more than the whole 1×784·784×512 product).
      // Split from 128K weights (512 KB, half a Zen L2) up: below that one core streams B from
      // its L2 faster than a wake-up and a join cost; above it each core streams its own share.
      int64_t floats = p.n * p.k;
      int nth = (floats >= (int64_t(1) << 17) && p.n >= 64) ? min_(nthreads, SMALL_MAX_CHUNKS / 2) : 1;
      int64_t parts = nth > 1 ? nth * 2 : 1;
      job.chunk = ((p.n + parts - 1) / parts + 15) / 16 * 16;
      if (job.chunk < 16) job.chunk = 16;
      job.nchunks = (p.n + job.chunk - 1) / job.chunk;
      if (job.nchunks < nth) nth = static_cast<int>(job.nchunks);
      trimnet::thread_workspace(static_cast<size_t>(S::MAXM * job.chunk) + 64);  // throws here, before any worker
      trimnet::pool_run(nth, small_worker, &job);
      return;
    }
    // Below ~100³ one thread does it all (a wake-up costs more than it saves), and without
    // packing: copying A and B into slivers takes longer than the product gains from them.
    // The same arithmetic as the packed path, so the switch never changes a result.
    // So does a C narrower than one packed sliver (a classifier's logits, n = 10 against NR = 32):
    // the packed tile would spend most of its FMAs on zero padding, the direct one is cut to
    // ceil(n/W) vectors and reads A once, in place. Threads then take row tiles. (A transposed B
    // is copied whole for it: only up to 1 Mi floats, beyond that it is packed in blocks.)
    const bool narrow = p.n < G::NR && (!p.trans_b || p.n * p.k <= (int64_t(1) << 20));
    if ((flops < DIRECT_MAX_FLOPS || narrow) && !p.b_packed) {
      const float* b = G::direct_b(p, trimnet::thread_workspace(p.trans_b ? static_cast<size_t>(p.n * p.k) : 1));
      DirectJob job;
      job.p = &p;
      job.e = e;
      job.b = b;
      job.tiles = G::direct_row_tiles(p.m);
      const int nth = flops < DIRECT_MAX_FLOPS ? 1 : static_cast<int>(min_<int64_t>(nthreads, job.tiles));
      job.per = max_<int64_t>(1, (job.tiles + 2 * nth - 1) / (2 * nth));
      trimnet::pool_run(nth, direct_worker, &job);
      return;
    }
    Job job;
    job.p = &p;
    job.e = e;
    int nth = nthreads;
    int64_t target = nth > 1 ? nth * TRIMNET_CHUNKS_PER_THREAD : 1;
    // Row chunks or column chunks, whichever packs less. Every chunk packs its own operands: a
    // row chunk packs its rows of A once and all of B once per MB rows it has; a column chunk packs
    // all of A and its columns of B. Packing A (and a transposed B) gathers element by element,
    // a plain B is copied a vector at a time (~4× cheaper per element); each side must give every
    // chunk at least 4 micro-tiles to stay balanced.
    const double wb = p.b_packed ? 0.0 : p.trans_b ? 1.0 : 0.25;
    const double mk = double(p.m) * double(p.k), nk = double(p.n) * double(p.k);
    const int64_t rows_per = (p.m + target - 1) / target;
    const double row_cost = mk + double(target) * double((rows_per + G::MB - 1) / G::MB) * nk * wb;
    const double col_cost = double(target) * mk + double((p.m + G::MB - 1) / G::MB) * nk * wb;
    const bool rows_ok = p.m >= target * MR * 4, cols_ok = p.n >= target * G::NR * 4;
    if (rows_ok && cols_ok) job.split_n = col_cost < row_cost;
    else if (rows_ok || cols_ok) job.split_n = cols_ok;
    else job.split_n = p.n * MR >= p.m * G::NR;  // neither balances well: the side with more tiles
    job.unit = job.split_n ? G::NR : MR;
    job.tiles = ((job.split_n ? p.n : p.m) + job.unit - 1) / job.unit;
    job.nchunks = min_(target, job.tiles);
    if (job.nchunks < nth) nth = static_cast<int>(job.nchunks);
    trimnet::thread_workspace(G::workspace_floats());  // throws here, before any worker
    trimnet::pool_run(nth, worker, &job);
  }

  // ---- colStats: a = act(x); per column sum, sum|a|, zeros, max. Rows in blocks of RB
  // accumulated in float registers, flushed into double sums (exact for the zero count). ------
  static constexpr int64_t RB = 32;

  static void stats_rows(float* x, int64_t r0, int64_t r1, int64_t cols, int act, float slope, double* sum,
                         double* sum_abs, double* zeros, float* mx, bool wb) {
    alignas(64) float ts[T::W], ta[T::W], tz[T::W];
    for (int64_t rb = r0; rb < r1; rb += RB) {
      int64_t re = min_(r1, rb + RB);
      for (int64_t j = 0; j < cols; j += W) {
        int cnt = static_cast<int>(min_<int64_t>(W, cols - j));
        V s = T::zero(), sa = T::zero(), z = T::zero(), m = T::loadn(mx + j, cnt);
        for (int64_t i = rb; i < re; i++) {
          float* px = x + i * cols + j;
          V a = vact<T>(cnt == W ? T::loadu(px) : T::loadn(px, cnt), act, slope);
          if (wb) {
            if (cnt == W) T::storeu(px, a);
            else T::storen(px, a, cnt);
          }
          s = T::add(s, a);
          sa = T::add(sa, T::abs(a));
          z = T::add(z, T::is_zero(a));
          m = T::max(a, m);  // NaN never becomes the max (as a > max ? a : max)
        }
        T::storeu(ts, s);
        T::storeu(ta, sa);
        T::storeu(tz, z);
        for (int c = 0; c < cnt; c++) {
          sum[j + c] += ts[c];
          sum_abs[j + c] += ta[c];
          zeros[j + c] += tz[c];
        }
        T::storen(mx + j, m, cnt);
      }
    }
  }

  struct StatsJob {
    float* x;
    int64_t rows, cols, per;
    int act;
    float slope;
    bool wb;
    double* part;  // per part: sum, sum_abs, zeros (3·cols doubles) then max (cols floats as doubles)
    int64_t parts;
    std::atomic<int64_t> next{0};
  };

  static void stats_worker(void* ctx, int tid, int nth) {
    StatsJob& j = *static_cast<StatsJob*>(ctx);
    for (;;) {
      int64_t part = j.next.fetch_add(1);
      if (part >= j.parts) break;
      int64_t r0 = part * j.per, r1 = min_(j.rows, r0 + j.per);
      double* d = j.part + part * 4 * j.cols;
      float* fm = reinterpret_cast<float*>(d + 3 * j.cols);
      stats_rows(j.x, r0, r1, j.cols, j.act, j.slope, d, d + j.cols, d + 2 * j.cols, fm, j.wb);
    }
  }

  static void col_stats(float* x, int64_t rows, int64_t cols, int act, float slope, double* sum, double* sum_abs,
                        double* zeros, float* mx, bool wb, int nthreads) {
    if (rows == 0 || cols == 0) return;
    int nth = rows * cols >= (int64_t(1) << 17) && rows >= 2 * RB ? nthreads : 1;
    if (nth <= 1) {
      stats_rows(x, 0, rows, cols, act, slope, sum, sum_abs, zeros, mx, wb);
      return;
    }
    StatsJob j;
    j.x = x;
    j.rows = rows;
    j.cols = cols;
    j.act = act;
    j.slope = slope;
    j.wb = wb;
    j.per = ((rows + 2 * nth - 1) / (2 * nth) + RB - 1) / RB * RB;
    int64_t parts = (rows + j.per - 1) / j.per;
    j.parts = parts;
    j.part = reinterpret_cast<double*>(trimnet::thread_workspace(static_cast<size_t>(parts * 4 * cols * 2)));
    for (int64_t q = 0; q < parts; q++) {
      double* d = j.part + q * 4 * cols;
      for (int64_t c = 0; c < 3 * cols; c++) d[c] = 0.0;
      float* fm = reinterpret_cast<float*>(d + 3 * cols);
      for (int64_t c = 0; c < cols; c++) fm[c] = -INFINITY;
    }
    trimnet::pool_run(nth, stats_worker, &j);
    for (int64_t q = 0; q < parts; q++) {  // merge in row order
      const double* d = j.part + q * 4 * cols;
      const float* fm = reinterpret_cast<const float*>(d + 3 * cols);
      for (int64_t c = 0; c < cols; c++) {
        sum[c] += d[c];
        sum_abs[c] += d[cols + c];
        zeros[c] += d[2 * cols + c];
        if (fm[c] > mx[c]) mx[c] = fm[c];
      }
    }
  }
};

}  // namespace
