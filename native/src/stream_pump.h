// A whole source or sink stream over Linux AIO, run by a thread of its own as a C program
// would: io_getevents waits for completions, each is accounted (source) or checked against the
// pattern (sink) and folded into the CRC-32, and the slots are resubmitted for the next
// transfers in one io_submit, without entering JavaScript. stop() makes the thread cancel what
// is in flight (io_cancel); the thread waits for the cancelled completions, then io_destroy and
// the close of its descriptor dup run on it too, so close() never waits for the kernel. The JS
// surface, the settle deadline and the lifecycle are ThreadPump's.
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

  struct Slot {
    struct iocb cb;
    PumpSlot mem;
    uint64_t k = 0;  // the transfer this slot carries now
    bool busy = false;
    bool done = false;
    int64_t res = 0;
  };

  void Run();
  // In the kernel: submitted and not reaped, or inside an io_submit that has not returned.
  unsigned InFlight() const { return in_flight_ + submitting_; }
  void AfterRun();
  void Prepare(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Submit(std::vector<struct iocb *> &cbs);
  void Halt();

  aio_context_t ctx_ = 0;
  std::vector<Slot> slots_;
  std::atomic<unsigned> in_flight_{0};
  std::atomic<unsigned> submitting_{0};
  int fd_ = -1;  // our dup of the endpoint: the caller closing its descriptor cannot redirect us

  // The thread's own state.
  uint64_t next_ = 0;  // next transfer to submit
  uint64_t turn_ = 0;  // next transfer to finish (in stream order)
  bool halted_ = false;
};

}  // namespace ffslab
