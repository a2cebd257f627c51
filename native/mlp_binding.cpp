// The fused forward (kernels/cpu/mlp_forward.h), for MLP.forwardOne and MLP.forward:
//   mlpPlan(weights: Float32Array[], biases: Float32Array[], sizes: number[], activations: number[],
//           slopes: number[], frozen: boolean) -> plan
//   mlpForwardOne(plan, x: Float32Array, out: Float32Array) -> −1, or the index of the first
//           non-finite entry of x (nothing computed)
//   mlpForwardRows(plan, x: Float32Array, rows: number, out: Float32Array) -> the same for rows
//           samples (x rows×in, out rows×out; on a non-finite x, out holds no defined values)
// A plan is made once per model and holds references to its weight and bias arrays, so a
// request passes three arguments instead of every layer's. Each call re-reads the arrays' data
// and length through those references, so a plan never uses memory that moved, shrank or was
// detached since it was made. A frozen plan (FrozenMLP) instead owns a copy: the weights packed
// once in the kernels' panel layout (pack_weights, gemm.h) and the biases; later changes to the
// arrays it was made from do not reach it.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "mlp_forward.h"
#include "gemm.h"
#include "signatures.h"

namespace trimnet_native {

namespace {

constexpr int kMaxLayers = 1024;
const napi_type_tag kPlanTag = {0x7472696d6e65746dULL, 0x6c70506c616e3031ULL};  // "trimnetm" "lpPlan01"

// n floats, 64-byte aligned (a packed sliver's rows then start on cache lines).
trimnet::AlignedFloats alignedFloats(Napi::Env env, int64_t n) {
  trimnet::AlignedFloats p = trimnet::aligned_floats(static_cast<size_t>(n));
  if (!p) throw Napi::RangeError::New(env, "out of memory packing the model's weights (" + std::to_string(n) + " floats)");
  return p;
}

struct MlpPlan {
  std::vector<trimnet::DenseLayer> layers;  // sizes and activations; pointers refreshed per call unless frozen
  std::vector<Napi::Reference<Napi::TypedArray>> weights, biases;
  bool frozen = false;
  std::vector<trimnet::AlignedFloats> owned;  // frozen: each layer's packed weights and bias copy
  int64_t owned_bytes = 0;         // told to V8 (napi_adjust_external_memory) while the plan lives
};

// A Float32Array from a JS array element, with at least `need` elements.
Napi::TypedArray float32At(Napi::Env env, Napi::Array list, uint32_t i, const std::string& name, int64_t need) {
  Napi::Value v = list.Get(i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwType(env, "a Float32Array", name.c_str(), v);
  auto arr = v.As<Napi::TypedArray>();
  if (static_cast<int64_t>(arr.ElementLength()) < need)
    throw Napi::RangeError::New(env, name + " has " + std::to_string(arr.ElementLength()) + " elements but the layer needs " +
                                         std::to_string(need));
  return arr;
}

double numberAt(Napi::Env env, Napi::Array list, uint32_t i, const std::string& name) {
  Napi::Value v = list.Get(i);
  if (!v.IsNumber()) throwType(env, "a number", name.c_str(), v);
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Array arrayArg(const Napi::CallbackInfo& info, size_t i, const char* name, uint32_t length) {
  Napi::Value v = info[i];
  if (!v.IsArray()) throwType(info.Env(), "an array", name, v);
  auto a = v.As<Napi::Array>();
  if (a.Length() != length)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " has " + std::to_string(a.Length()) + " entries, expected " +
                                                std::to_string(length));
  return a;
}

// The data of a plan's array as it is now, checked against the length the layer needs (two
// Node-API calls: this runs for every array on every request).
const float* liveData(napi_env env, const Napi::Reference<Napi::TypedArray>& ref, int64_t need, const char* what, int l) {
  napi_value v;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_reference_value(env, ref, &v) != napi_ok || v == nullptr ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok)
    throw Napi::Error::New(env, std::string("layer ") + std::to_string(l) + "'s " + what + " is gone");
  if (static_cast<int64_t>(length) < need || (need > 0 && data == nullptr))
    throw Napi::RangeError::New(env, std::string("layer ") + std::to_string(l) + "'s " + what +
                                         " has shrunk or been detached since the plan was made");
  return static_cast<const float*>(data);
}

}  // namespace

static Napi::Value MlpPlanNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kMlpPlan);
  if (!info[2].IsArray()) throwType(env, "an array", "sizes", info[2]);
  uint32_t nsizes = info[2].As<Napi::Array>().Length();
  if (nsizes < 2 || nsizes > kMaxLayers + 1)
    throw Napi::RangeError::New(env, "sizes must list 2 to " + std::to_string(kMaxLayers + 1) + " layer widths");
  const uint32_t nl = nsizes - 1;
  auto weights = arrayArg(info, 0, "weights", nl), biases = arrayArg(info, 1, "biases", nl);
  auto sizes = info[2].As<Napi::Array>();
  auto acts = arrayArg(info, 3, "activations", nl), slopes = arrayArg(info, 4, "slopes", nl);
  if (!info[5].IsBoolean()) throwType(env, "a boolean", "frozen", info[5]);
  auto plan = std::make_unique<MlpPlan>();
  plan->frozen = info[5].As<Napi::Boolean>().Value();
  std::vector<int64_t> width(nsizes);
  for (uint32_t i = 0; i < nsizes; i++) {
    double d = numberAt(env, sizes, i, "sizes[" + std::to_string(i) + "]");
    if (!(d >= 1 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int64_t>(d)))
      throw Napi::RangeError::New(env, "sizes[" + std::to_string(i) + "] must be a positive 32-bit integer");
    width[i] = static_cast<int64_t>(d);
  }
  for (uint32_t l = 0; l < nl; l++) {
    trimnet::DenseLayer L;
    L.in = width[l];
    L.out = width[l + 1];
    std::string at = "[" + std::to_string(l) + "]";
    double a = numberAt(env, acts, l, "activations" + at);
    if (!(a >= 0 && a < trimnet::ACT_COUNT) || a != static_cast<double>(static_cast<int>(a)))
      throw Napi::RangeError::New(env, "activations" + at + " is not an activation code");
    L.act = static_cast<int>(a);
    double s = numberAt(env, slopes, l, "slopes" + at);
    if (!std::isfinite(s)) throw Napi::RangeError::New(env, "slopes" + at + " must be finite");
    L.slope = static_cast<float>(s);
    int64_t wsize = checkedMul(env, L.out, L.in, "a layer's weight");
    Napi::TypedArray w = float32At(env, weights, l, "weights" + at, wsize), b = float32At(env, biases, l, "biases" + at, L.out);
    if (plan->frozen) {
      const float* wd = w.As<Napi::Float32Array>().Data();
      const float* bd = b.As<Napi::Float32Array>().Data();
      const int64_t npacked = trimnet::packed_weight_floats(L.out, L.in);
      trimnet::AlignedFloats packed = alignedFloats(env, npacked), bias = alignedFloats(env, L.out);
      trimnet::pack_weights(wd, L.out, L.in, packed.get());
      std::copy(bd, bd + L.out, bias.get());
      L.packed = packed.get();
      L.bias = bias.get();
      plan->owned.push_back(std::move(packed));
      plan->owned.push_back(std::move(bias));
      plan->owned_bytes += (npacked + L.out) * int64_t(sizeof(float));
    } else {
      plan->weights.push_back(Napi::Persistent(w));
      plan->biases.push_back(Napi::Persistent(b));
    }
    plan->layers.push_back(L);
  }
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("layers", Napi::Number::New(env, nl));
  if (napi_type_tag_object(env, obj, &kPlanTag) != napi_ok) throw Napi::Error::New(env, "could not tag the plan");
  MlpPlan* raw = plan.get();
  // A frozen plan's packed copy lives in native memory that V8 cannot see: it is reported, so
  // that the GC runs (and finds dropped models) as that memory grows, not only as JS objects do.
  // (Node runs the finalizer once the event loop turns, not inside the GC.)
  napi_status st = napi_wrap(
      env, obj, raw,
      [](napi_env e, void* data, void*) {
        auto* p = static_cast<MlpPlan*>(data);
        int64_t ignored;
        if (p->owned_bytes > 0) napi_adjust_external_memory(e, -p->owned_bytes, &ignored);
        delete p;
      },
      nullptr, nullptr);
  if (st != napi_ok) throw Napi::Error::New(env, "could not wrap the plan");
  plan.release();  // owned by obj now: its finalizer deletes it
  int64_t ignored;
  if (raw->owned_bytes > 0) napi_adjust_external_memory(env, raw->owned_bytes, &ignored);
  return obj;
}

// The plan of argument 0 (type-tagged by mlpPlan).
static MlpPlan& planArg(const Napi::CallbackInfo& info) {
  bool tagged = false;
  if (info[0].IsObject()) napi_check_object_type_tag(info.Env(), info[0], &kPlanTag, &tagged);
  if (!tagged) throwType(info.Env(), "a plan made by mlpPlan", "plan", info[0]);
  void* data = nullptr;
  if (napi_unwrap(info.Env(), info[0], &data) != napi_ok || !data) throw Napi::Error::New(info.Env(), "the plan has no data");
  return *static_cast<MlpPlan*>(data);
}

// The plan's layers pointed at their arrays as they are now; throws when out (n floats) shares
// memory with a weight or bias.
static void refreshLayers(Napi::Env env, MlpPlan& plan, const float* out, int64_t n) {
  if (plan.frozen) return;  // its own copies, which no JS array can share
  auto overlaps = [&](const float* p, int64_t len) { return p < out + n && out < p + len; };
  for (size_t l = 0; l < plan.layers.size(); l++) {
    trimnet::DenseLayer& L = plan.layers[l];
    L.w = liveData(env, plan.weights[l], L.out * L.in, "weights", static_cast<int>(l));
    L.bias = liveData(env, plan.biases[l], L.out, "bias", static_cast<int>(l));
    if (overlaps(L.w, L.out * L.in) || overlaps(L.bias, L.out))
      throw Napi::RangeError::New(env, "out must not share memory with the model's weights");
  }
}

static Napi::Value MlpForwardOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kMlpForwardOne);
  MlpPlan& plan = planArg(info);
  const int64_t in = plan.layers.front().in, outs = plan.layers.back().out;
  auto x = argArray<float>(info, 1, "x", in);
  auto out = argArray<float>(info, 2, "out", outs);
  if (x.Data() < out.Data() + outs && out.Data() < x.Data() + in)
    throw Napi::RangeError::New(env, "out must not share memory with x");
  refreshLayers(env, plan, out.Data(), outs);
  int64_t bad;
  try {
    bad = trimnet::mlp_forward_one(plan.layers.data(), static_cast<int>(plan.layers.size()), x.Data(), out.Data());
  } catch (const std::exception& e) {
    throw nativeError(env, e, "mlpForwardOne failed: ");
  }
  return Napi::Number::New(env, static_cast<double>(bad));
}

static Napi::Value MlpForwardRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkArity(info, kMlpForwardRows);
  MlpPlan& plan = planArg(info);
  const int64_t rows = argDim(info, 2, "rows");
  const int64_t in = checkedMul(env, rows, plan.layers.front().in, "rows*in");
  const int64_t outs = checkedMul(env, rows, plan.layers.back().out, "rows*out");
  auto x = argArray<float>(info, 1, "x", in);
  auto out = argArray<float>(info, 3, "out", outs);
  if (rows > 0 && x.Data() < out.Data() + outs && out.Data() < x.Data() + in)
    throw Napi::RangeError::New(env, "out must not share memory with x");
  refreshLayers(env, plan, out.Data(), outs);
  int64_t bad;
  try {
    bad = trimnet::mlp_forward_rows(plan.layers.data(), static_cast<int>(plan.layers.size()), x.Data(), rows, out.Data());
  } catch (const std::exception& e) {
    throw nativeError(env, e, "mlpForwardRows failed: ");
  }
  return Napi::Number::New(env, static_cast<double>(bad));
}

void registerMlp(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, exports, kMlpPlan, MlpPlanNew);
  exportFunction(env, exports, exports, kMlpForwardOne, MlpForwardOne);
  exportFunction(env, exports, exports, kMlpForwardRows, MlpForwardRows);
}

}  // namespace trimnet_native
