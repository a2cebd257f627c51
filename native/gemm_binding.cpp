// gemm, gemmAsync, colStats. Arguments (positional, checked here, never trusted):
//   gemm(m, n, k, A, B, C, transA, transB, alpha, beta, bias|null, act, slope)
//   colStats(X, rows, cols, act, slope, sum, sumAbs, zeros, max, writeBack)
// gemmAsync runs on the libuv pool (sharp's baton pattern): the typed arrays are pinned by
// references until the work is done, and Execute never touches JS.
#include <memory>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "gemm.h"
#include "signatures.h"

namespace trimnet_native {

// Parsed and checked gemm arguments plus references that keep the buffers alive.
struct GemmBaton {
  trimnet::GemmParams p;
  Napi::Reference<Napi::Value> refs[4];
};

// pin: keep the typed arrays alive with references (async calls only; a sync call holds them
// on the JS stack for its whole duration, and references cost more than a small GEMM).
static std::unique_ptr<GemmBaton> parseGemm(const Napi::CallbackInfo& info, bool pin) {
  Napi::Env env = info.Env();
  checkArity(info, pin ? kGemmAsync : kGemm);
  auto baton = std::make_unique<GemmBaton>();
  trimnet::GemmParams& p = baton->p;
  const GemmSizes z = argGemmSizes(info);
  const int64_t mk = z.mk, kn = z.kn, mn = z.mn;
  p.m = z.m, p.n = z.n, p.k = z.k;
  auto a = argArray<float>(info, 3, "A", mk);
  auto b = argArray<float>(info, 4, "B", kn);
  auto c = argArray<float>(info, 5, "C", mn);
  argGemmScalars(info, trimnet::ACT_COUNT, p);
  if (!info[10].IsNull() && !info[10].IsUndefined()) {
    auto bias = argArray<float>(info, 10, "bias", p.n);
    p.bias = bias.Data();
    if (pin) baton->refs[3] = Napi::Persistent(info[10]);
  }
  p.a = a.Data();
  p.b = b.Data();
  p.c = c.Data();
  // Writing C while A or B alias it would race with the reads: refuse.
  const float* c0 = p.c;
  const float* c1 = p.c + mn;
  auto overlaps = [&](const float* x, int64_t len) { return len > 0 && mn > 0 && x < c1 && c0 < x + len; };
  if (overlaps(p.a, mk) || overlaps(p.b, kn))
    throw Napi::RangeError::New(env, "C must not share memory with A or B");
  if (pin) {
    baton->refs[0] = Napi::Persistent(info[3]);
    baton->refs[1] = Napi::Persistent(info[4]);
    baton->refs[2] = Napi::Persistent(info[5]);
  }
  return baton;
}

static Napi::Value Gemm(const Napi::CallbackInfo& info) {
  auto baton = parseGemm(info, false);
  try {
    trimnet::gemm(baton->p);
  } catch (const std::exception& e) {  // e.g. std::bad_alloc for the packing workspace
    throw nativeError(info.Env(), e, "gemm failed: ");
  }
  return info.Env().Undefined();
}

class GemmWorker : public Napi::AsyncWorker {
 public:
  GemmWorker(Napi::Env env, std::unique_ptr<GemmBaton> baton)
      : Napi::AsyncWorker(env, "trimnet.gemmAsync"), baton_(std::move(baton)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      trimnet::gemm(baton_->p);
    } catch (const std::exception& e) {
      caught_.keep(e, "gemm failed: ");
      SetError(caught_.message);
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(caught_.attach(e)); }

 private:
  CaughtError caught_;
  std::unique_ptr<GemmBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

static Napi::Value GemmAsync(const Napi::CallbackInfo& info) {
  auto baton = parseGemm(info, true);
  baton->p.threads = trimnet::async_threads();
  auto* worker = new GemmWorker(info.Env(), std::move(baton));  // owned by the libuv queue: deletes itself
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

static Napi::Value ColStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kColStats);
  const ColStatsArgs c = argColStats(info, trimnet::ACT_COUNT);
  auto x = argArray<float>(info, 0, "x", c.size);
  try {
    trimnet::col_stats(x.Data(), c.rows, c.cols, c.act, c.slope, c.sum, c.sum_abs, c.zeros, c.max, c.write_back);
  } catch (const std::exception& e) {
    throw nativeError(env, e, "colStats failed: ");
  }
  return env.Undefined();
}

void registerGemm(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, exports, kGemm, Gemm);
  exportFunction(env, exports, exports, kGemmAsync, GemmAsync);
  exportFunction(env, exports, exports, kColStats, ColStats);
}

}  // namespace trimnet_native
