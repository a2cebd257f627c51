// CUDA entry points (kernels/cuda). Without CUDA compiled in, only the status is reported.
//
// exports.cuda = {
//   DeviceBuffer                       class: a Float32 device allocation owned by its JS object
//   upload(Float32Array) -> DeviceBuffer  (freed by the GC finalizer, or dispose())
//   gemm(m, n, k, A, B, C, transA, transB, alpha, beta, bias|null, act, slope, allowTF32)
//   gemmAsync(...same) -> Promise<void>   A, B, bias: Float32Array or DeviceBuffer; C: either
//                                         (a Float32Array C is copied back, a DeviceBuffer stays)
//   colStats(X, rows, cols, act, slope, sum, sumAbs, zeros, max, writeBack)  X: either kind
//   svd(A, m, n) / svdAsync(A, m, n) -> { U, S, V, sweeps }   thin, S descending
//   deviceInfo() -> { name, computeCapability, smCount, totalMemory, freeMemory, ... }
//   stats() -> { liveBuffers, liveBytes }  (leak checks)
// }
// Every argument is checked before anything is touched; every CUDA error (CudaError, with
// file:line) becomes a JS Error here. A DeviceBuffer in use by an async call cannot be disposed.
#include "bindings.h"

#ifdef TRIMNET_HAVE_CUDA
#include <atomic>
#include <memory>
#include <vector>

#include "args.h"
#include "cuda_kernels.h"
#include "errors.h"
#include "signatures.h"
#endif

namespace trimnet_native {

#ifndef TRIMNET_HAVE_CUDA
CudaInfo cudaInfo() { return {false, "not built with CUDA"}; }
void registerCuda(Napi::Env, Napi::Object) {}
#else

CudaInfo cudaInfo() { return {true, trimnet::cuda::status()}; }

namespace {

namespace tc = trimnet::cuda;

std::atomic<int64_t> g_liveBuffers{0}, g_liveBytes{0};

// Per-env data handed to every function: the DeviceBuffer constructor (for upload and instanceof).
struct CudaData {
  Napi::FunctionReference ctor;
};

[[noreturn]] void rethrow(Napi::Env env, const std::exception& e) { throw nativeError(env, e, ""); }

// Runs fn, turning CudaError and other std exceptions into JS errors with a code (native/errors.h;
// Napi::Error passes through).
template <typename F>
auto guard(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    rethrow(env, e);
  }
}

void requireDevice(Napi::Env env) {
  const std::string& s = tc::status();
  if (s != "ok") throw codedError(env, "CUDA is not available: " + s, "E_CUDA");
}

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DeviceBuffer",
                       {InstanceAccessor<&DeviceBuffer::Length>("length"),
                        InstanceAccessor<&DeviceBuffer::Disposed>("disposed"),
                        InstanceMethod<&DeviceBuffer::Download>("download"),
                        InstanceMethod<&DeviceBuffer::Update>("update"),
                        InstanceMethod<&DeviceBuffer::Dispose>("dispose")});
  }

  // new DeviceBuffer(Float32Array): allocates and uploads.
  explicit DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
    Napi::Env env = info.Env();
    requireDevice(env);
    auto arr = argArray<float>(info, 0, "data", 0);
    length_ = arr.ElementLength();
    guard(env, [&] {
      float* p = static_cast<float*>(tc::device_alloc(sizeof(float) * length_));
      try {
        tc::copy_to_device(p, arr.Data(), sizeof(float) * length_);
      } catch (...) {
        tc::device_free(p);  // the destructor does not run when the constructor throws
        throw;
      }
      ptr_ = p;
      return 0;
    });
    g_liveBuffers++;
    g_liveBytes += int64_t(sizeof(float) * length_);
  }
  ~DeviceBuffer() override { release(); }

  float* data() const { return ptr_; }
  size_t length() const { return length_; }
  bool disposed() const { return disposed_; }
  std::atomic<int> inflight{0};

 private:
  void release() {
    if (disposed_) return;
    disposed_ = true;
    tc::device_free(ptr_);
    ptr_ = nullptr;
    g_liveBuffers--;
    g_liveBytes -= int64_t(sizeof(float) * length_);
  }
  void checkUsable(Napi::Env env) const {
    if (disposed_) throw Napi::Error::New(env, "DeviceBuffer has been disposed");
  }
  Napi::Value Length(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(length_)); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }
  // download() -> new Float32Array; download(out) fills out (length >= this.length).
  Napi::Value Download(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env);
    const bool given = info.Length() > 0 && !info[0].IsUndefined();
    if (given) argArray<float>(info, 0, "out", int64_t(length_));  // checked: a Float32Array long enough
    Napi::Float32Array out = given ? info[0].As<Napi::Float32Array>() : Napi::Float32Array::New(env, length_);
    guard(env, [&] {
      tc::copy_to_host(out.Data(), ptr_, sizeof(float) * length_);
      return 0;
    });
    return out;
  }
  // update(Float32Array of the same length): new contents, same allocation.
  Napi::Value Update(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkUsable(env);
    auto arr = argArray<float>(info, 0, "data", int64_t(length_));
    if (arr.ElementLength() != length_)
      throw Napi::RangeError::New(env, "Expected a Float32Array of " + std::to_string(length_) + " elements for data but received " +
                                           std::to_string(arr.ElementLength()));
    if (inflight > 0) throw Napi::Error::New(env, "DeviceBuffer is in use by an async call");
    guard(env, [&] {
      tc::copy_to_device(ptr_, arr.Data(), sizeof(float) * length_);
      return 0;
    });
    return env.Undefined();
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (inflight > 0) throw Napi::Error::New(info.Env(), "DeviceBuffer is in use by an async call");
    release();
    return info.Env().Undefined();
  }

  float* ptr_ = nullptr;
  size_t length_ = 0;
  bool disposed_ = false;
};

// A checked operand: host Float32Array or DeviceBuffer, pinned against GC (and against
// dispose() while in flight) for as long as the holder lives.
struct Pinned {
  tc::Operand op;
  Napi::Reference<Napi::Value> ref;
  DeviceBuffer* dev = nullptr;
  Pinned() = default;
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;
  ~Pinned() {
    if (dev) dev->inflight--;
  }
};

CudaData* dataOf(const Napi::CallbackInfo& info) { return static_cast<CudaData*>(info.Data()); }

void argOperand(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t need, Pinned& out) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (v.IsObject() && !v.IsTypedArray() && v.As<Napi::Object>().InstanceOf(dataOf(info)->ctor.Value())) {
    DeviceBuffer* d = DeviceBuffer::Unwrap(v.As<Napi::Object>());
    if (d->disposed()) throw Napi::Error::New(env, std::string(name) + " is a disposed DeviceBuffer");
    if (int64_t(d->length()) < need)
      throw Napi::RangeError::New(env, std::string(name) + " has " + std::to_string(d->length()) +
                                           " elements but the call needs " + std::to_string(need));
    out.op = {d->data(), true};
    out.dev = d;
    d->inflight++;
  } else {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throwType(env, "a Float32Array or DeviceBuffer", name, v);
    auto arr = argArray<float>(info, i, name, need);
    out.op = {arr.Data(), false};
  }
  out.ref = Napi::Persistent(v);
}

struct GemmBaton {
  tc::HostGemm g;
  Pinned a, b, c, bias;
};

std::unique_ptr<GemmBaton> parseGemm(const Napi::CallbackInfo& info, const Signature& sig) {
  Napi::Env env = info.Env();
  checkArity(info, sig);
  auto baton = std::make_unique<GemmBaton>();
  tc::HostGemm& g = baton->g;
  const GemmSizes z = argGemmSizes(info);
  const int64_t mn = z.mn;
  g.m = z.m, g.n = z.n, g.k = z.k;
  argOperand(info, 3, "A", z.mk, baton->a);
  argOperand(info, 4, "B", z.kn, baton->b);
  argOperand(info, 5, "C", mn, baton->c);
  argGemmScalars(info, trimnet::ACT_COUNT, g);
  if (!info[10].IsNull() && !info[10].IsUndefined()) {
    argOperand(info, 10, "bias", g.n, baton->bias);
    g.bias = baton->bias.op;
  }
  g.allow_tf32 = argBool(info, 13, "allowTF32");
  g.a = baton->a.op;
  g.b = baton->b.op;
  g.c = const_cast<float*>(baton->c.op.ptr);
  g.c_on_device = baton->c.op.on_device;
  // A device C that is also A or B would be read while written: refuse. (Host operands are
  // copied to the device before the kernel runs, so host aliasing is harmless.)
  if (g.c_on_device && mn > 0 && ((g.a.on_device && g.a.ptr == g.c) || (g.b.on_device && g.b.ptr == g.c)))
    throw Napi::RangeError::New(env, "C must not be the same DeviceBuffer as A or B");
  requireDevice(env);
  return baton;
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  auto baton = parseGemm(info, kCudaGemm);
  guard(info.Env(), [&] {
    tc::gemm_host(baton->g);
    return 0;
  });
  return info.Env().Undefined();
}

// Runs `work` on the libuv pool; the baton (with its pinned operands) lives until OnOK/OnError.
template <typename Baton>
class Worker : public Napi::AsyncWorker {
 public:
  using Work = void (*)(Baton&);
  using Done = Napi::Value (*)(Napi::Env, Baton&);
  Worker(Napi::Env env, const char* name, std::unique_ptr<Baton> baton, Work work, Done done)
      : Napi::AsyncWorker(env, name),
        baton_(std::move(baton)),
        work_(work),
        done_(done),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_(*baton_);
    } catch (const std::exception& e) {
      caught_.keep(e, "");
      SetError(caught_.message);
    }
  }
  void OnOK() override {
    Napi::Value v = done_(Env(), *baton_);
    baton_.reset();
    deferred_.Resolve(v);
  }
  void OnError(const Napi::Error& e) override {
    baton_.reset();
    deferred_.Reject(caught_.attach(e));
  }

 private:
  CaughtError caught_;
  std::unique_ptr<Baton> baton_;
  Work work_;
  Done done_;
  Napi::Promise::Deferred deferred_;
};

template <typename Baton>
Napi::Value queue(Napi::Env env, const char* name, std::unique_ptr<Baton> baton, typename Worker<Baton>::Work work,
                  typename Worker<Baton>::Done done) {
  auto* w = new Worker<Baton>(env, name, std::move(baton), work, done);  // the libuv queue owns and deletes it
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value GemmAsync(const Napi::CallbackInfo& info) {
  return queue<GemmBaton>(
      info.Env(), "trimnet.cuda.gemmAsync", parseGemm(info, kCudaGemmAsync), [](GemmBaton& b) { tc::gemm_host(b.g); },
      [](Napi::Env env, GemmBaton&) -> Napi::Value { return env.Undefined(); });
}

Napi::Value ColStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kCudaColStats);
  const ColStatsArgs c = argColStats(info, trimnet::ACT_COUNT);
  Pinned x;
  argOperand(info, 0, "x", c.size, x);
  requireDevice(env);
  guard(env, [&] {
    tc::col_stats_host(const_cast<float*>(x.op.ptr), x.op.on_device, c.rows, c.cols, c.act, c.slope, c.sum, c.sum_abs,
                       c.zeros, c.max, c.write_back);
    return 0;
  });
  return env.Undefined();
}

struct SvdBaton {
  int64_t m = 0, n = 0;
  const float* a = nullptr;
  Napi::Reference<Napi::Value> aRef;
  Napi::Reference<Napi::Float32Array> U, S, V;  // pinned outputs, filled off the main thread
  float *u = nullptr, *s = nullptr, *v = nullptr;  // their data, taken on the main thread
  tc::SvdStats stats;
};

std::unique_ptr<SvdBaton> parseSvd(const Napi::CallbackInfo& info, const Signature& sig) {
  Napi::Env env = info.Env();
  checkArity(info, sig);
  auto b = std::make_unique<SvdBaton>();
  b->m = argDim(info, 1, "m");
  b->n = argDim(info, 2, "n");
  int64_t mn = checkedMul(env, b->m, b->n, "m*n");
  auto a = argArray<float>(info, 0, "A", mn);
  requireDevice(env);
  int64_t p = std::min(b->m, b->n);
  b->a = a.Data();
  b->aRef = Napi::Persistent(info[0]);
  b->U = Napi::Persistent(Napi::Float32Array::New(env, size_t(b->m * p)));
  b->S = Napi::Persistent(Napi::Float32Array::New(env, size_t(p)));
  b->V = Napi::Persistent(Napi::Float32Array::New(env, size_t(b->n * p)));
  b->u = b->U.Value().Data();
  b->s = b->S.Value().Data();
  b->v = b->V.Value().Data();
  return b;
}

void svdWork(SvdBaton& b) {
  b.stats = tc::svd_host(b.a, b.m, b.n, b.u, b.s, b.v);  // no JS access here: runs on the libuv pool
}

Napi::Value svdResult(Napi::Env env, SvdBaton& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("U", b.U.Value());
  o.Set("S", b.S.Value());
  o.Set("V", b.V.Value());
  o.Set("sweeps", b.stats.sweeps);
  return o;
}

Napi::Value Svd(const Napi::CallbackInfo& info) {
  auto b = parseSvd(info, kCudaSvd);
  guard(info.Env(), [&] {
    svdWork(*b);
    return 0;
  });
  return svdResult(info.Env(), *b);
}

Napi::Value SvdAsync(const Napi::CallbackInfo& info) {
  return queue<SvdBaton>(info.Env(), "trimnet.cuda.svdAsync", parseSvd(info, kCudaSvdAsync), svdWork, svdResult);
}

Napi::Value Upload(const Napi::CallbackInfo& info) {
  checkArity(info, kCudaUpload);
  return dataOf(info)->ctor.New({info[0]});
}

Napi::Value DeviceInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireDevice(env);
  tc::DeviceInfo d = guard(env, [] { return tc::device_info(); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", d.name);
  o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
  o.Set("smCount", d.sm_count);
  o.Set("totalMemory", double(d.total_mem));
  o.Set("freeMemory", double(d.free_mem));
  o.Set("sharedMemoryPerSM", double(d.smem_per_sm));
  o.Set("l2Bytes", double(d.l2_bytes));
  o.Set("driverVersion", d.driver_version);
  o.Set("runtimeVersion", d.runtime_version);
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("liveBuffers", double(g_liveBuffers.load()));
  o.Set("liveBytes", double(g_liveBytes.load()));
  return o;
}

}  // namespace

void registerCuda(Napi::Env env, Napi::Object exports) {
  auto* data = new CudaData();  // owned by the env: deleted by the cleanup hook
  Napi::Function ctor = DeviceBuffer::Define(env);
  data->ctor = Napi::Persistent(ctor);
  env.AddCleanupHook([](CudaData* d) { delete d; }, data);

  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("DeviceBuffer", ctor);
  auto fn = [&](const Signature& sig, Napi::Function::Callback cb) { exportFunction(env, exports, cuda, sig, cb, data); };
  fn(kCudaGemm, Gemm);
  fn(kCudaGemmAsync, GemmAsync);
  fn(kCudaColStats, ColStats);
  fn(kCudaSvd, Svd);
  fn(kCudaSvdAsync, SvdAsync);
  fn(kCudaUpload, Upload);
  fn(kCudaDeviceInfo, DeviceInfoJs);
  fn(kCudaStats, Stats);
  exports.Set("cuda", cuda);
}

#endif  // TRIMNET_HAVE_CUDA

}  // namespace trimnet_native
