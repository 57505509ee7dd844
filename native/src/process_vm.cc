#include "process_vm.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "errno_error.h"
#include "js_args.h"

namespace ffslab {

Napi::Value ProcessVmRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "processVmRead(arrayBuffer, offset, length)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  int64_t offset, length;
  const double size = static_cast<double>(ab.ByteLength());
  if (!ArgInt(env, info[1], "processVmRead", "offset", 0, size, &offset) || !ArgInt(env, info[2], "processVmRead", "length", 0, size - static_cast<double>(offset), &length))
    return env.Undefined();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  struct iovec local = {out.Data(), static_cast<size_t>(length)};
  struct iovec remote = {static_cast<uint8_t *>(ab.Data()) + offset, static_cast<size_t>(length)};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n < 0) {
    ThrowErrno(env, errno, "process_vm_readv");
    return env.Undefined();
  }
  if (n != length) {
    ThrowErrno(env, EIO, "process_vm_readv", "(short read)");
    return env.Undefined();
  }
  return out;
}

}  // namespace ffslab
