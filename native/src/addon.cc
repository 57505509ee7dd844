// ffs_native: the FunctionFS addon's native surface. It declares primitives only (syscalls,
// ioctls, AIO, mappings, fd watching); native/lib/*.ts adds behaviour.
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include "aio_context.h"
#include "copy_pump.h"
#include "dmabuf_pump.h"
#include "errno_error.h"
#include "fd_watcher.h"
#include "ffs_native.h"
#include "gup_read.h"
#include "js_args.h"
#include "mapped_buffer.h"
#include "stream_pump.h"
#include "tally_object.h"

namespace {

Napi::Value ErrnoNameOf(const Napi::CallbackInfo &info) {
  int64_t err;
  if (!ffslab::ArgInt(info.Env(), info[0], "errnoName", "errno", 0, 4095, &err)) return info.Env().Undefined();
  return Napi::String::New(info.Env(), ffslab::ErrnoName(static_cast<int>(err)));
}

// dup(fd) -> a new descriptor sharing the open file (the same struct file).
Napi::Value DupFd(const Napi::CallbackInfo &info) {
  int from;
  if (!ffslab::ArgFd(info.Env(), info[0], "dup", "fd", &from)) return info.Env().Undefined();
  int fd = dup(from);
  if (fd < 0) {
    ffslab::ThrowErrno(info.Env(), errno, "dup");
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("AioContext", ffslab::AioContext::Init(env));
  exports.Set("FdWatcher", ffslab::FdWatcher::Init(env));
  exports.Set("StreamPump", ffslab::StreamPump::Init(env));
  exports.Set("CopyPump", ffslab::CopyPump::Init(env));
  exports.Set("DmabufPump", ffslab::DmabufPump::Init(env));
  exports.Set("Tally", ffslab::TallyObject::Init(env));
  const struct {
    const char *name;
    Napi::Value (*fn)(const Napi::CallbackInfo &);
  } fns[] = {
      {"mmapFile", ffslab::MmapFile},
      {"munmapBuffer", ffslab::MunmapBuffer},
      {"mmapAnonymous", ffslab::MmapAnonymous},
      {"mprotectBuffer", ffslab::MprotectBuffer},
      {"processVmRead", ffslab::ProcessVmRead},
      {"vmspliceRead", ffslab::VmspliceRead},
      {"directIoRead", ffslab::DirectIoRead},
      {"tryMremap", ffslab::TryMremap},
      {"liveMappings", ffslab::LiveMappings},
      {"fifoStatus", ffslab::FifoStatus},
      {"fifoFlush", ffslab::FifoFlush},
      {"clearHalt", ffslab::ClearHalt},
      {"endpointRevmap", ffslab::EndpointRevmap},
      {"interfaceRevmap", ffslab::InterfaceRevmap},
      {"endpointDescriptor", ffslab::EndpointDescriptor},
      {"udmabufCreate", ffslab::UdmabufCreate},
      {"dmabufAttach", ffslab::DmabufAttach},
      {"dmabufDetach", ffslab::DmabufDetach},
      {"dmabufTransfer", ffslab::DmabufTransfer},
      {"dmabufTransferFenced", ffslab::DmabufTransferFenced},
      {"dmabufExportSyncFile", ffslab::DmabufExportSyncFile},
      {"syncFileStatus", ffslab::SyncFileStatus},
      {"errnoName", ErrnoNameOf},
      {"dup", DupFd},
  };
  for (const auto &f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace

NODE_API_MODULE(ffs_native, Init)
