// svd / svdAsync entry points. Arguments (positional, checked here, never trusted):
//   svd(A, m, n, full) -> { U, S, V }        (Float32Arrays; kernels/cpu/svd.h gives the shapes)
//   svdAsync(A, m, n, full) -> Promise<{ U, S, V }>
// svdAsync runs on the libuv pool (sharp's baton pattern): A and the outputs are pinned by
// references, and Execute never touches JS. The outputs are the Float32Arrays returned, made
// before the kernel runs and written by it in place: no C++ buffers to zero and copy over (for
// a 768² SVD on one thread those were about a tenth of the time, most of it page faults).
// Nobody else holds them until the call returns. Kernel exceptions become a thrown JS Error /
// a rejected promise.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>

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
  Napi::Reference<Napi::Float32Array> u, s, v;  // the results, written by run()
  float *ud = nullptr, *sd = nullptr, *vd = nullptr;

  void run() { trimnet::svd(a, m, n, full, ud, sd, vd); }
};

// A new Float32Array of `count` floats, kept alive by `ref`; returns its data. V8 ends the
// process when it cannot allocate an ArrayBuffer (napi_create_arraybuffer has no failure path
// for that), so the memory is asked of malloc first: a request the system refuses (a full SVD of
// a 2^20×1 matrix wants a 4 TiB U) throws std::bad_alloc, which becomes OutOfMemory.
static float* output(Napi::Env env, int64_t count, Napi::Reference<Napi::Float32Array>& ref) {
  void* probe = std::malloc(static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float));
  if (!probe) throw std::bad_alloc();
  std::free(probe);
  auto arr = Napi::Float32Array::New(env, static_cast<size_t>(count));
  ref = Napi::Persistent(arr);
  return arr.Data();
}

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
  const int64_t p = std::min(baton->m, baton->n);
  try {
    baton->ud = output(env, baton->m * (baton->full ? baton->m : p), baton->u);
    baton->sd = output(env, p, baton->s);
    baton->vd = output(env, baton->n * (baton->full ? baton->n : p), baton->v);
  } catch (const std::bad_alloc& e) {
    throw nativeError(env, e, "");
  }
  return baton;
}

static Napi::Object result(Napi::Env env, const SvdBaton& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("U", b.u.Value());
  o.Set("S", b.s.Value());
  o.Set("V", b.v.Value());
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
