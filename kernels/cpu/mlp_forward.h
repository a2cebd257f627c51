// One sample through a whole MLP in one call (the single-request inference path):
//
//   h_0 = x,   h_{l+1} = act_l( W_l · h_l + b_l ),   out = h_L
//
// W_l is stored [out_l × in_l] row-major (PyTorch's Linear layout), so each output is a dot
// product of one contiguous weight row with h_l. This is the same arithmetic as one m = 1 GEMM
// per layer (gemm.h, op(B) = Bᵀ) and gives bit-identical results; fusing the layers saves a
// call, a thread hand-off and a join per layer, and lets a layer's threads start as soon as the
// previous layer's last chunk is written.
//
// Threads: nets whose weights outgrow 3/4 of one core's L2 cut each layer's rows into chunks. Every
// thread takes its home chunks first (the same rows on every call, so the weights it streams
// stay in its core's L2 from one request to the next), then any chunk still unclaimed. A layer
// starts once every chunk of the one before is done; a thread waits only on chunks another
// thread is already computing, never on a worker that has not woken up (the caller takes its
// chunks). Small nets run on the caller's thread alone.
#pragma once
#include <cstdint>

namespace trimnet {

struct DenseLayer {
  const float* w = nullptr;     // [out × in]
  const float* packed = nullptr;  // w packed once (pack_weights, gemm.h), read instead of w; or null
  const float* bias = nullptr;  // [out] or null
  int64_t out = 0, in = 0;      // layer l's in equals layer l−1's out
  int act = 0;                  // Act (gemm.h), applied to every layer's output (identity for logits)
  float slope = 0.01f;          // leaky_relu
};

// Runs the layers on x (layers[0].in floats) into out (layers[n−1].out floats). Returns −1, or
// the index of the first NaN/±Infinity in x, in which case nothing is computed.
int64_t mlp_forward_one(const DenseLayer* layers, int nlayers, const float* x, float* out);

// The same over `rows` samples (x: rows × layers[0].in, out: rows × layers[n−1].out), the batch
// inference path. Rows are cut into chunks, and each chunk runs every layer on one thread, one
// GEMM per layer (the one gemm() runs for those rows: results are bitwise those of the
// layer-by-layer forward); threads take whole chunks, so layers never wait on each other and the
// hidden outputs (per-thread scratch, a chunk at a time) stay in the core's caches. The input is
// checked through layer 0's products (GemmParams::nonfinite: one add per output instead of a
// pass over x), and scanned only when they show a NaN/±Infinity. Returns −1, or the index into x
// of the first NaN/±Infinity, in which case out holds no defined values.
int64_t mlp_forward_rows(const DenseLayer* layers, int nlayers, const float* x, int64_t rows, float* out);

// The plain version: one double-accumulated dot product per output (the readable definition).
void mlp_forward_one_plain(const DenseLayer* layers, int nlayers, const float* x, float* out);

}  // namespace trimnet
