#include "errno_error.h"

#include <cstring>
#include <string>

namespace ffslab {

const char *ErrnoName(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : "E?";
}

Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const char *detail) {
  std::string msg = std::string(ErrnoName(err)) + ": " + strerror(err) + ", " + syscall;
  if (detail) msg += std::string(" ") + detail;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const char *syscall, const char *detail) { ErrnoError(env, err, syscall, detail).ThrowAsJavaScriptException(); }

}  // namespace ffslab
