// A whole source or sink stream over FunctionFS DMABUF (Linux 6.9+), run by a thread of its own
// as a C program would: each slot is a udmabuf attached to the endpoint; a transfer is
// FUNCTIONFS_DMABUF_TRANSFER of its exact length plus a sync_file of its fence; the thread waits
// for the transfer whose turn it is by polling its dma-buf (POLLOUT once its fences have
// signalled), the fence tells success from failure, and the slot is checked or accounted and
// sent on with the next transfer, without entering JavaScript. stop() makes the thread dequeue
// what is pending by DETACH and ATTACH of its buffer, as DmabufIo.cancelAll() does. The thread
// works on dups of the endpoint and dma-buf descriptors and closes them, and its fences, when it
// ends, so close() does not wait for it. The JS surface, the settle deadline and the lifecycle
// are ThreadPump's.
#pragma once
#include <vector>

#include "thread_pump.h"

namespace ffslab {

class DmabufPump : public ThreadPump<DmabufPump> {
 public:
  static Napi::Function Init(Napi::Env env) { return Define(env, "DmabufPump"); }
  // new DmabufPump({...NativeStreamPumpOptions, dmabufFds: number[]}): slots[i] maps dmabufFds[i].
  explicit DmabufPump(const Napi::CallbackInfo &info);
  ~DmabufPump() override;

 private:
  friend class ThreadPump<DmabufPump>;

  struct Slot {
    PumpSlot mem;
    int dmabuf_fd = -1;  // our dup
    int sync_fd = -1;    // the fence of the transfer in flight; -1 without CONFIG_SYNC_FILE
    uint64_t k = 0;
    uint64_t length = 0;
    bool busy = false;
  };

  void Run();
  unsigned InFlight() const { return in_flight_; }
  void AfterRun();
  // Wait up to `ms` for slot s's transfer; its status (1 done, or a negative errno), or 0 when
  // it is still pending.
  int Wait(Slot &s, int ms);
  void Settle(Slot &s);
  bool Submit(Slot &s, uint64_t k);
  void Finish(Slot &s, int status);
  void Halt();
  void CloseFences();

  std::vector<Slot> slots_;
  std::atomic<unsigned> in_flight_{0};
  int fd_ = -1;  // our dup of the endpoint

  // The thread's own state.
  uint64_t next_ = 0;
  uint64_t turn_ = 0;
  bool halted_ = false;
};

}  // namespace ffslab
