#include "js_args.h"

#include <cmath>
#include <string>

namespace ffslab {

bool IsWhole(double v, double min, double max) { return v >= min && v <= max && std::floor(v) == v; }

namespace {

std::string Bound(double v) {
  if (v == kMaxSafeInteger) return "2^53-1";
  if (v == kMaxFd) return "2^31-1";
  char buf[32];
  snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

}  // namespace

bool ArgInt(Napi::Env env, Napi::Value v, const char *where, const char *name, double min, double max, int64_t *out) {
  std::string what = std::string(where) + ": " + name;
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, what + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!IsWhole(d, min, max)) {
    Napi::RangeError::New(env, what + " must be an integer in " + Bound(min) + ".." + Bound(max)).ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool ArgIntOr(Napi::Env env, Napi::Value v, const char *where, const char *name, double min, double max, int64_t fallback, int64_t *out) {
  if (v.IsUndefined()) {
    *out = fallback;
    return true;
  }
  return ArgInt(env, v, where, name, min, max, out);
}

bool ArgFd(Napi::Env env, Napi::Value v, const char *where, const char *name, int *out) {
  int64_t fd;
  if (!ArgInt(env, v, where, name, 0, kMaxFd, &fd)) return false;
  *out = static_cast<int>(fd);
  return true;
}

}  // namespace ffslab
