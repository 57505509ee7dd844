// Watch a file descriptor with libuv (epoll) and call back into JS when it is readable or
// writable: ep0 events (readable) and dma-buf fences (writable = all fences signalled).
#pragma once
#include <napi.h>
#include <uv.h>

namespace ffslab {

class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new FdWatcher(fd, 'readable' | 'writable', callback(events: number)); starts at once.
  explicit FdWatcher(const Napi::CallbackInfo &info);
  ~FdWatcher() override;

 private:
  Napi::Value Stop(const Napi::CallbackInfo &info);
  static void OnEvent(uv_poll_t *handle, int status, int events);
  void StopPoll();

  uv_poll_t *poll_ = nullptr;
  Napi::FunctionReference callback_;
};

}  // namespace ffslab
