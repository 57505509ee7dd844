// A whole source or sink stream by blocking write()/read() on a thread of its own, one transfer
// after the other (what copy mode is), with the pattern and the tally in C++ as in StreamPump.
// The thread works on a dup of the endpoint descriptor, so the caller closing its descriptor
// cannot redirect it, and it ends on its own when a blocked call returns (f_fs ends them when
// the function is disabled): close() does not wait for it. Give it an O_NONBLOCK descriptor:
// then a call on a disabled endpoint fails (EAGAIN) instead of waiting for the next ENABLE.
// The JS surface and the lifecycle are ThreadPump's.
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
  static constexpr bool kJoinOnClose = false;

  void Run();
  // The thread has one transfer in the kernel whenever it runs.
  unsigned InFlight() const { return 1; }
  void Closed() {}

  int fd_ = -1;  // our dup, closed by the thread when it ends
};

}  // namespace ffslab
