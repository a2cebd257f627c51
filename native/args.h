// Argument checking at the Node-API boundary, after better-sqlite3's REQUIRE_ARGUMENT_* macros.
// Every function throws a JS TypeError/RangeError with "Expected X for Y but received Z"
// before any memory is touched. (node-addon-api C++ exceptions become JS exceptions at the
// boundary; nothing else may escape, see SafeCall.)
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace trimnet_native {

inline std::string received(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "the number " + v.ToString().Utf8Value();
  if (v.IsBoolean()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsTypedArray()) return "a typed array of another element type";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

[[noreturn]] inline void throwType(Napi::Env env, const std::string& what, const char* name, const Napi::Value& v) {
  throw Napi::TypeError::New(env, "Expected " + what + " for " + name + " but received " + received(v));
}

// A non-negative integer that fits in int32 (sizes).
inline int64_t argDim(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throwType(info.Env(), "a non-negative 32-bit integer", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || std::floor(d) != d)
    throw Napi::RangeError::New(info.Env(), std::string("Expected a non-negative 32-bit integer for ") + name +
                                                " but received " + v.ToString().Utf8Value());
  return static_cast<int64_t>(d);
}

inline double argNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throwType(info.Env(), "a finite number", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d))
    throw Napi::RangeError::New(info.Env(), std::string("Expected a finite number for ") + name + " but received " +
                                                v.ToString().Utf8Value());
  return d;
}

inline bool argBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) throwType(info.Env(), "a boolean", name, v);
  return v.As<Napi::Boolean>().Value();
}

inline int argInt(const Napi::CallbackInfo& info, size_t i, const char* name, int lo, int hi) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throwType(info.Env(), "an integer", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::floor(d) != d)
    throw Napi::RangeError::New(info.Env(), std::string("Expected an integer in [") + std::to_string(lo) + ", " +
                                                std::to_string(hi) + "] for " + name + " but received " +
                                                v.ToString().Utf8Value());
  return static_cast<int>(d);
}

template <typename T>
struct TypedArrayTraits;
template <>
struct TypedArrayTraits<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "a Float32Array";
};
template <>
struct TypedArrayTraits<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "a Float64Array";
};

// A typed array argument's data and element count.
template <typename T>
struct ArrayArg {
  T* data;
  size_t length;
  T* Data() const { return data; }
  size_t ElementLength() const { return length; }
};

// A typed array of element type T holding at least `need` elements, read with one
// napi_get_typedarray_info: node-addon-api's TypedArrayOf makes three, and each tests the array
// against every element type in turn (a third of the time of a 1×1×1 gemm call).
template <typename T>
inline ArrayArg<T> argArray(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t need) {
  Napi::Value v = info[i];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(info.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != TypedArrayTraits<T>::type)
    throwType(info.Env(), TypedArrayTraits<T>::name, name, v);
  if (static_cast<int64_t>(length) < need)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " has " + std::to_string(length) +
                                                " elements but the call needs " + std::to_string(need));
  return {static_cast<T*>(data), length};
}

// a * b with overflow check against int64 and a sane element limit (2^40).
inline int64_t checkedMul(Napi::Env env, int64_t a, int64_t b, const char* what) {
  if (a != 0 && b > (int64_t(1) << 40) / a)
    throw Napi::RangeError::New(env, std::string("Sizes overflow: ") + what + " is too large");
  return a * b;
}

// The sizes every GEMM entry point takes first: m, n, k (arguments 0–2), and the element counts
// of A (m×k), B (k×n) and C (m×n), overflow-checked.
struct GemmSizes {
  int64_t m, n, k, mk, kn, mn;
};
inline GemmSizes argGemmSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GemmSizes s;
  s.m = argDim(info, 0, "m");
  s.n = argDim(info, 1, "n");
  s.k = argDim(info, 2, "k");
  s.mk = checkedMul(env, s.m, s.k, "m*k");
  s.kn = checkedMul(env, s.k, s.n, "k*n");
  s.mn = checkedMul(env, s.m, s.n, "m*n");
  return s;
}

// The scalar GEMM arguments shared by the CPU and CUDA entry points: transA (6), transB (7),
// alpha (8), beta (9), activation (11), slope (12), into any parameter struct with those fields.
template <typename P>
inline void argGemmScalars(const Napi::CallbackInfo& info, int act_count, P& p) {
  p.trans_a = argBool(info, 6, "transA");
  p.trans_b = argBool(info, 7, "transB");
  p.alpha = static_cast<float>(argNumber(info, 8, "alpha"));
  p.beta = static_cast<float>(argNumber(info, 9, "beta"));
  p.act = argInt(info, 11, "activation", 0, act_count - 1);
  p.slope = static_cast<float>(argNumber(info, 12, "slope"));
}

// colStats arguments 1–9 of the CPU and CUDA entry points (x, argument 0, is the caller's: a
// Float32Array on the CPU, a host array or DeviceBuffer for CUDA): rows, cols, activation, slope,
// the sum / sumAbs / zeros / max accumulators (cols each) and writeBack.
struct ColStatsArgs {
  int64_t rows, cols, size;  // size = rows·cols, overflow-checked
  int act;
  float slope;
  double *sum, *sum_abs, *zeros;
  float* max;
  bool write_back;
};
inline ColStatsArgs argColStats(const Napi::CallbackInfo& info, int act_count) {
  ColStatsArgs c;
  c.rows = argDim(info, 1, "rows");
  c.cols = argDim(info, 2, "cols");
  c.size = checkedMul(info.Env(), c.rows, c.cols, "rows*cols");
  c.act = argInt(info, 3, "activation", 0, act_count - 1);
  c.slope = static_cast<float>(argNumber(info, 4, "slope"));
  c.sum = argArray<double>(info, 5, "sum", c.cols).Data();
  c.sum_abs = argArray<double>(info, 6, "sumAbs", c.cols).Data();
  c.zeros = argArray<double>(info, 7, "zeros", c.cols).Data();
  c.max = argArray<float>(info, 8, "max", c.cols).Data();
  c.write_back = argBool(info, 9, "writeBack");
  return c;
}

}  // namespace trimnet_native
