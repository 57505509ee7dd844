// A whole source or sink stream by blocking write()/read() on a thread of its own, one transfer
// after the other (what copy mode is), with the pattern and the tally in C++ as in StreamPump.
// The thread works on a dup of the endpoint descriptor, so the caller closing its descriptor
// cannot redirect it. stop() interrupts a blocked call (ThreadPump's wake signal: f_fs dequeues
// the transfer and returns EINTR); close() does not wait for the thread. Give it an O_NONBLOCK
// descriptor: then a call on a disabled endpoint fails (EAGAIN) instead of waiting for the next
// ENABLE; O_NONBLOCK does not bound a call on an enabled endpoint (f_fs waits for the host), so
// only the interruption ends a read from a host that never sends. The JS surface, the settle
// deadline and the lifecycle are ThreadPump's.
#pragma once
#include "thread_pump.h"

namespace ffslab {

class CopyPump : public ThreadPump<CopyPump> {
 public:
  static Napi::Function Init(Napi::Env env) { return Define(env, "CopyPump"); }
  // new CopyPump(options): see NativeStreamPumpOptions in native/lib/bindings.ts.
  explicit CopyPump(const Napi::CallbackInfo &info);
  ~CopyPump() override;

 private:
  friend class ThreadPump<CopyPump>;

  void Run();
  // The thread has one transfer in the kernel whenever it runs.
  unsigned InFlight() const { return 1; }
  void AfterRun();

  int fd_ = -1;  // our dup, closed by the thread when it ends
};

}  // namespace ffslab
