#include "copy_pump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errno_error.h"

namespace ffslab {

Napi::Function CopyPump::Init(Napi::Env env) {
  return DefineClass(env, "CopyPump",
                     {
                         InstanceMethod<&CopyPump::Start>("start"),
                         InstanceMethod<&CopyPump::Stop>("stop"),
                         InstanceMethod<&CopyPump::Close>("close"),
                         InstanceMethod<&CopyPump::Tally>("tally"),
                     });
}

CopyPump::CopyPump(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CopyPump>(info) {
  Napi::Env env = info.Env();
  if (!common_.Parse(info, "CopyPump", 1)) return;
  fd_ = fcntl(common_.fd, F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) {
    ThrowErrno(env, errno, "dup");
    return;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  async_ = new uv_async_t;
  uv_async_init(loop, async_, OnEnded);
  async_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t *>(async_));
}

CopyPump::~CopyPump() {
  // A running pump pins itself, so the thread has ended (or never started) here.
  if (fd_ >= 0 && !started_) close(fd_);
  if (async_) uv_close(reinterpret_cast<uv_handle_t *>(async_), [](uv_handle_t *h) { delete reinterpret_cast<uv_async_t *>(h); });
}

Napi::Value CopyPump::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (started_ || closed_ || fd_ < 0) {
    Napi::Error::New(env, "CopyPump: start() once, before close()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  started_ = true;
  running_ = true;
  Ref();
  uv_ref(reinterpret_cast<uv_handle_t *>(async_));
  thread_ = std::thread([this] { Run(); });
  return env.Undefined();
}

// stop(): no new transfers. A call blocked in the kernel ends when f_fs ends it.
Napi::Value CopyPump::Stop(const Napi::CallbackInfo &info) {
  stop_ = true;
  return info.Env().Undefined();
}

// close(): onDone is not called any more; the slots stay referenced until the thread has ended.
Napi::Value CopyPump::Close(const Napi::CallbackInfo &info) {
  stop_ = true;
  closed_ = true;
  if (!running_) common_.Release();
  return info.Env().Undefined();
}

// tally() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers, inFlight}
Napi::Value CopyPump::Tally(const Napi::CallbackInfo &info) {
  std::lock_guard<std::mutex> lock(mu_);
  Napi::Object t = common_.tally->ToJs(info.Env());
  // The thread has one transfer in the kernel whenever it runs.
  t.Set("inFlight", running_ ? 1 : 0);
  return t;
}

void CopyPump::Run() {
  StreamTally &t = *common_.tally;
  PumpSlot slot = common_.slots[0];
  uint64_t transfers = t.shape().transfers;
  for (uint64_t k = 0; k < transfers && !stop_; k++) {
    ssize_t n;
    if (common_.write) {
      t.Fill(slot.data, k);
      n = write(fd_, slot.data, t.Expected(k));
    } else {
      // f_fs ends a blocking read with EINTR on any signal, even SIGSTOP/SIGCONT; the data
      // is still queued then, so read again, as CopyIo does.
      do {
        n = read(fd_, slot.data, t.PostLength(k));
      } while (n < 0 && errno == EINTR && !stop_);
    }
    int err = n < 0 ? errno : 0;
    std::lock_guard<std::mutex> lock(mu_);
    if (n < 0) {
      common_.FailErrno(err, common_.write ? "write" : "read");
      break;
    }
    if (!common_.write) {
      t.Received(k, slot.data, static_cast<uint64_t>(n));
    } else {
      std::string error;
      if (!t.Sent(k, slot.data, static_cast<uint64_t>(n), &error)) {
        common_.FailWith("SHORT_WRITE", error);
        break;
      }
    }
    finished_ = k + 1;
  }
  close(fd_);
  uv_async_send(async_);
}

void CopyPump::OnEnded(uv_async_t *handle) {
  auto *self = static_cast<CopyPump *>(handle->data);
  if (!self->running_) return;
  self->thread_.join();
  self->running_ = false;
  uv_unref(reinterpret_cast<uv_handle_t *>(handle));
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  if (!self->closed_) {
    uint64_t finished;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      finished = self->finished_;
    }
    self->common_.CallDone(env, self->Value(), finished);
  } else {
    self->common_.Release();
  }
  self->Unref();
}

}  // namespace ffslab
