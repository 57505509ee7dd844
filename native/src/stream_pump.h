// A whole source or sink stream over Linux AIO, run by a thread of its own as a C program
// would: io_getevents waits for completions, each is accounted (source) or checked against the
// pattern (sink) and folded into the CRC-32, and the slots are resubmitted for the next
// transfers in one io_submit, without entering JavaScript. JS starts it, may read the tally at
// any time, may stop it (the thread cancels what is in flight), and hears once, at the end
// (onDone, posted to the event loop). Lifecycle: new -> start() -> (stop()) -> onDone -> close().
#pragma once
#include <linux/aio_abi.h>
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "pump_common.h"

namespace ffslab {

class StreamPump : public Napi::ObjectWrap<StreamPump> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new StreamPump(options): see NativeStreamPumpOptions in native/lib/bindings.ts.
  explicit StreamPump(const Napi::CallbackInfo &info);
  ~StreamPump() override;

 private:
  struct Slot {
    struct iocb cb;
    PumpSlot mem;
    uint64_t k = 0;  // the transfer this slot carries now
    bool busy = false;
    bool done = false;
    int64_t res = 0;
  };

  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Tally(const Napi::CallbackInfo &info);

  void Run();
  static void OnEnded(uv_async_t *handle);
  void Prepare(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Submit(std::vector<struct iocb *> &cbs);
  void Halt();
  void Join();

  PumpCommon common_;
  aio_context_t ctx_ = 0;
  std::vector<Slot> slots_;
  std::thread thread_;
  std::mutex mu_;  // guards common_'s tally and error, and finished_
  std::atomic<bool> stop_{false};
  std::atomic<unsigned> in_flight_{0};
  uv_async_t *async_ = nullptr;
  uint64_t finished_ = 0;

  // The thread's own state.
  uint64_t next_ = 0;  // next transfer to submit
  uint64_t turn_ = 0;  // next transfer to finish (in stream order)
  bool halted_ = false;

  bool started_ = false;
  bool running_ = false;  // the thread has not been joined yet
  bool closed_ = false;
};

}  // namespace ffslab
