#include "fd_watcher.h"

#include <string>

#include "errno_error.h"
#include "js_args.h"

namespace ffslab {

Napi::Function FdWatcher::Init(Napi::Env env) { return DefineClass(env, "FdWatcher", {InstanceMethod<&FdWatcher::Stop>("stop")}); }

FdWatcher::FdWatcher(const Napi::CallbackInfo &info) : Napi::ObjectWrap<FdWatcher>(info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(env, info[0], "FdWatcher", "fd", &fd)) return;
  if (!info[1].IsString() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "FdWatcher(fd, 'readable'|'writable', callback)").ThrowAsJavaScriptException();
    return;
  }
  std::string what = info[1].As<Napi::String>();
  int events = what == "writable" ? UV_WRITABLE : UV_READABLE;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  int r = uv_poll_init(loop, poll_, fd);
  if (r != 0) {
    delete poll_;
    poll_ = nullptr;
    ThrowErrno(env, -r, "uv_poll_init");
    return;
  }
  poll_->data = this;
  callback_ = Napi::Persistent(info[2].As<Napi::Function>());
  uv_poll_start(poll_, events, OnEvent);
  Ref();  // alive while watching, whatever JS holds
}

FdWatcher::~FdWatcher() { StopPoll(); }

void FdWatcher::OnEvent(uv_poll_t *handle, int status, int events) {
  auto *self = static_cast<FdWatcher *>(handle->data);
  Napi::HandleScope scope(self->Env());
  self->callback_.MakeCallback(self->Value(), {Napi::Number::New(self->Env(), status < 0 ? status : events)});
}

void FdWatcher::StopPoll() {
  if (!poll_) return;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
  poll_ = nullptr;
}

// stop(): no more callbacks; the fd is not closed (its owner closes it).
Napi::Value FdWatcher::Stop(const Napi::CallbackInfo &info) {
  if (poll_) {
    StopPoll();
    Unref();
  }
  return info.Env().Undefined();
}

}  // namespace ffslab
