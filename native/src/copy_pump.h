// A whole source or sink stream by blocking write()/read() on a thread of its own, one transfer
// after the other (what copy mode is), with the pattern and the tally in C++ as in StreamPump.
// The thread works on a dup of the endpoint descriptor, so the caller closing its descriptor
// cannot redirect it, and it ends on its own when a blocked call returns (f_fs ends them when
// the function is disabled). onDone is posted to the event loop when it ends. Lifecycle:
// new -> start() -> (stop()) -> onDone -> close().
#pragma once
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "pump_common.h"

namespace ffslab {

class CopyPump : public Napi::ObjectWrap<CopyPump> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new CopyPump(options): see NativeStreamPumpOptions in native/lib/bindings.ts.
  explicit CopyPump(const Napi::CallbackInfo &info);
  ~CopyPump() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Tally(const Napi::CallbackInfo &info);

  void Run();
  static void OnEnded(uv_async_t *handle);

  PumpCommon common_;
  int fd_ = -1;  // our dup, closed by the thread when it ends
  std::thread thread_;
  std::mutex mu_;  // guards common_'s tally and error, and finished_
  std::atomic<bool> stop_{false};
  uv_async_t *async_ = nullptr;
  uint64_t finished_ = 0;
  bool started_ = false;
  bool running_ = false;  // the thread has not been joined yet
  bool closed_ = false;
};

}  // namespace ffslab
