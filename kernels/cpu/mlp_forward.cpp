// The fused single-sample forward: input check, scratch, and the dispatch to the ISA's version
// (mlp_forward_impl.h, instantiated in gemm_avx512.cpp / gemm_avx2.cpp / gemm_scalar.cpp).
#include "mlp_forward.h"

#include <vector>

#include "finite.h"
#include "gemm.h"
#include "gemm_internal.h"

namespace trimnet {

void mlp_forward_one_plain(const DenseLayer* layers, int nlayers, const float* x, float* out) {
  std::vector<float> h(x, x + (nlayers > 0 ? layers[0].in : 0)), next;
  for (int l = 0; l < nlayers; l++) {
    const DenseLayer& L = layers[l];
    next.assign(L.out, 0.f);
    for (int64_t j = 0; j < L.out; j++) {
      double acc = 0;
      for (int64_t q = 0; q < L.in; q++) acc += double(L.w[j * L.in + q]) * h[q];
      next[j] = activate(L.act, float(acc) + (L.bias ? L.bias[j] : 0.f), L.slope);
    }
    h.swap(next);
  }
  for (size_t j = 0; j < h.size(); j++) out[j] = h[j];
}

int64_t mlp_forward_one(const DenseLayer* layers, int nlayers, const float* x, float* out) {
  if (nlayers <= 0) return -1;
  int64_t bad = first_non_finite(x, layers[0].in);
  if (bad >= 0) return bad;
  // The hidden outputs live in this thread's buffer, one 16-float-rounded slot per hidden layer
  // (mlp_forward_impl.h), reused across calls.
  int64_t room = 0;
  for (int l = 0; l + 1 < nlayers; l++) room += (layers[l].out + 15) / 16 * 16;
  thread_local std::vector<float> hidden;
  if (static_cast<int64_t>(hidden.size()) < room + 16) hidden.resize(room + 16);
  forward_one_kernel()(layers, nlayers, x, out, hidden.data(), num_threads());
  return -1;
}

}  // namespace trimnet
