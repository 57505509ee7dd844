// A whole source or sink stream over Linux AIO, run by a thread of its own as a C program
// would: io_getevents waits for completions, each is accounted (source) or checked against the
// pattern (sink) and folded into the CRC-32, and the slots are resubmitted for the next
// transfers in one io_submit, without entering JavaScript. stop() makes the thread cancel what
// is in flight; close() waits for it, then io_destroy reaps anything left. The JS surface and
// the lifecycle are ThreadPump's.
#pragma once
#include <linux/aio_abi.h>

#include <vector>

#include "thread_pump.h"

namespace ffslab {

class StreamPump : public ThreadPump<StreamPump> {
 public:
  static Napi::Function Init(Napi::Env env) { return Define(env, "StreamPump"); }
  // new StreamPump(options): see NativeStreamPumpOptions in native/lib/bindings.ts.
  explicit StreamPump(const Napi::CallbackInfo &info);
  ~StreamPump() override;

 private:
  friend class ThreadPump<StreamPump>;
  static constexpr bool kJoinOnClose = true;

  struct Slot {
    struct iocb cb;
    PumpSlot mem;
    uint64_t k = 0;  // the transfer this slot carries now
    bool busy = false;
    bool done = false;
    int64_t res = 0;
  };

  void Run();
  unsigned InFlight() const { return in_flight_; }
  void Closed();
  void Prepare(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Submit(std::vector<struct iocb *> &cbs);
  void Halt();

  aio_context_t ctx_ = 0;
  std::vector<Slot> slots_;
  std::atomic<unsigned> in_flight_{0};

  // The thread's own state.
  uint64_t next_ = 0;  // next transfer to submit
  uint64_t turn_ = 0;  // next transfer to finish (in stream order)
  bool halted_ = false;
};

}  // namespace ffslab
