// A whole source or sink stream over Linux AIO, run in C++ on node's event loop. Completions
// arrive on an eventfd that libuv polls; each is accounted (source) or checked against the
// pattern (sink), folded into the CRC-32, and its slot resubmitted for the next transfer, in one
// io_submit per wake-up, without entering JavaScript. JS starts it, may read the tally at any
// time, may stop it, and hears once, at the end (onDone). Lifecycle: new -> start() ->
// (stop()) -> onDone -> close().
#pragma once
#include <linux/aio_abi.h>
#include <napi.h>
#include <uv.h>

#include <cstdint>
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

  static void OnReadable(uv_poll_t *handle, int status, int events);
  void Drain();
  void Prepare(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Submit(std::vector<struct iocb *> &cbs);
  void Halt();
  void MaybeDone();
  void ReleaseLoop();

  PumpCommon common_;
  aio_context_t ctx_ = 0;
  int efd_ = -1;
  uv_poll_t *poll_ = nullptr;
  std::vector<Slot> slots_;

  uint64_t next_ = 0;  // next transfer to submit
  uint64_t turn_ = 0;  // next transfer to finish (in stream order)
  unsigned in_flight_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace ffslab
