// svd / svdAsync entry points. Arguments (positional, checked here, never trusted):
//   svd(A, m, n, full) -> { U, S, V }        (Float32Arrays; kernels/cpu/svd.h gives the shapes)
//   svdAsync(A, m, n, full) -> Promise<{ U, S, V }>
// svdAsync runs on the libuv pool (sharp's baton pattern): A is pinned by a reference, the
// outputs are plain C++ buffers until OnOK copies them into new Float32Arrays, and Execute
// never touches JS. Kernel exceptions become a thrown JS Error / a rejected promise.
#include <memory>
#include <stdexcept>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "signatures.h"
#include "svd.h"

namespace trimnet_native {

struct SvdBaton {
  int64_t m = 0, n = 0;
  bool full = false;
  const float* a = nullptr;
  Napi::Reference<Napi::Value> ref;
  std::vector<float> u, s, v;

  void run() {
    int64_t p = std::min(m, n);
    u.assign(static_cast<size_t>(m * (full ? m : p)), 0.f);
    s.assign(static_cast<size_t>(p), 0.f);
    v.assign(static_cast<size_t>(n * (full ? n : p)), 0.f);
    trimnet::svd(a, m, n, full, u.data(), s.data(), v.data());
  }
};

static std::unique_ptr<SvdBaton> parseSvd(const Napi::CallbackInfo& info, const Signature& sig) {
  Napi::Env env = info.Env();
  checkArity(info, sig);
  auto baton = std::make_unique<SvdBaton>();
  baton->m = argDim(info, 1, "m");
  baton->n = argDim(info, 2, "n");
  int64_t mn = checkedMul(env, baton->m, baton->n, "m*n");
  baton->full = argBool(info, 3, "full");
  if (baton->full) {
    checkedMul(env, baton->m, baton->m, "m*m");
    checkedMul(env, baton->n, baton->n, "n*n");
  }
  auto a = argArray<float>(info, 0, "A", mn);
  baton->a = a.Data();
  baton->ref = Napi::Persistent(info[0]);
  return baton;
}

static Napi::Float32Array toArray(Napi::Env env, const std::vector<float>& x) {
  auto out = Napi::Float32Array::New(env, x.size());
  std::copy(x.begin(), x.end(), out.Data());
  return out;
}

static Napi::Object result(Napi::Env env, const SvdBaton& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("U", toArray(env, b.u));
  o.Set("S", toArray(env, b.s));
  o.Set("V", toArray(env, b.v));
  return o;
}

static Napi::Value Svd(const Napi::CallbackInfo& info) {
  auto baton = parseSvd(info, kSvd);
  try {
    baton->run();
  } catch (const std::exception& e) {
    throw nativeError(info.Env(), e, "");
  }
  return result(info.Env(), *baton);
}

class SvdWorker : public Napi::AsyncWorker {
 public:
  SvdWorker(Napi::Env env, std::unique_ptr<SvdBaton> baton)
      : Napi::AsyncWorker(env, "trimnet.svdAsync"), baton_(std::move(baton)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      baton_->run();
    } catch (const std::exception& e) {
      caught_.keep(e, "");
      SetError(caught_.message);
    }
  }
  void OnOK() override { deferred_.Resolve(result(Env(), *baton_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(caught_.attach(e)); }

 private:
  CaughtError caught_;
  std::unique_ptr<SvdBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

static Napi::Value SvdAsync(const Napi::CallbackInfo& info) {
  auto baton = parseSvd(info, kSvdAsync);
  auto* worker = new SvdWorker(info.Env(), std::move(baton));  // owned by the libuv queue: deletes itself
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void registerSvd(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, exports, kSvd, Svd);
  exportFunction(env, exports, exports, kSvdAsync, SvdAsync);
}

}  // namespace trimnet_native
