// What the pumps that run a stream on a thread of their own share (StreamPump: AIO; CopyPump:
// blocking read/write; DmabufPump: DMABUF fences): the JS surface start() / stop() / tally() /
// close(), the thread, and onDone, posted to the event loop once.
//
// No call here blocks the JS thread: the thread is never joined while it runs, only once it has
// said it ended (a join of microseconds). T provides Run() (the thread's work: it returns when the
// stream has ended or halted with nothing in flight), AfterRun() (on the thread, after Run(): it
// gives back the thread's own native resources, e.g. io_destroy and its descriptor dup), and
// InFlight() (readable from any thread).
//
// stop() and close() interrupt the thread's blocking call (a signal of its own, kWakeSignal, with
// a handler that does nothing, so the call returns EINTR: f_fs dequeues an interrupted blocking
// transfer, and a blocked io_submit completes its request with EINTR), and keep doing so every
// kKickMs until the thread ends. If transfers are still in flight settleMs after the stop, onDone
// reports TRANSFERS_STUCK ("N transfer(s) did not complete within X ms after cancel") at once; the
// thread goes on waiting for them and keeps the slots (JS references and mapping pins), the
// descriptors and the AIO context until the kernel gives them back. A running pump pins itself
// (Ref) and keeps the event loop alive: a process with transfers the kernel never returns cannot
// end by itself, and the agent's exit path unbinds the UDC first, which returns them.
// Lifecycle: new -> start() -> (stop()) -> onDone -> close().
#pragma once
#include <napi.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "pump_common.h"

namespace ffslab {

// The signal stop() sends a pump's thread to interrupt its blocking call. Installed once with a
// handler that does nothing and without SA_RESTART; only pump threads leave it unblocked.
int PumpWakeSignal();

template <class T>
class ThreadPump : public Napi::ObjectWrap<T> {
 public:
  static Napi::Function Define(Napi::Env env, const char *name) {
    using W = Napi::ObjectWrap<T>;
    using M = typename W::InstanceMethodCallback;
    return W::DefineClass(env, name,
                          {
                              W::InstanceMethod("start", static_cast<M>(&ThreadPump::Start)),
                              W::InstanceMethod("stop", static_cast<M>(&ThreadPump::Stop)),
                              W::InstanceMethod("close", static_cast<M>(&ThreadPump::Close)),
                              W::InstanceMethod("tally", static_cast<M>(&ThreadPump::Tally)),
                          });
  }

  ~ThreadPump() override {
    // A running pump pins itself, so its thread has been joined here (or never started).
    if (thread_.joinable()) thread_.detach();
    if (async_) uv_close(reinterpret_cast<uv_handle_t *>(async_), [](uv_handle_t *h) { delete reinterpret_cast<uv_async_t *>(h); });
    if (timer_) uv_close(reinterpret_cast<uv_handle_t *>(timer_), [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
  }

 protected:
  explicit ThreadPump(const Napi::CallbackInfo &info) : Napi::ObjectWrap<T>(info) {}

  // Parse the options (PumpCommon::Parse) and hook onto the event loop; false with a JS error pending.
  bool Setup(const Napi::CallbackInfo &info, const char *what, size_t max_slots) {
    if (!common_.Parse(info, what, max_slots)) return false;
    uv_loop_t *loop;
    napi_get_uv_event_loop(info.Env(), &loop);
    async_ = new uv_async_t;
    uv_async_init(loop, async_, OnEnded);
    async_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t *>(async_));
    timer_ = new uv_timer_t;
    uv_timer_init(loop, timer_);
    timer_->data = this;
    return true;
  }

  // Record the stream's progress: transfers finished in stream order. Call with mu_ held.
  void SetFinished(uint64_t n) { finished_ = n; }

  PumpCommon common_;
  std::mutex mu_;  // guards common_'s tally and error, and finished_
  std::atomic<bool> stop_{false};
  bool started_ = false;

 private:
  // While stopping: how often the thread's blocking call is interrupted again (ms). A signal that
  // lands just before the thread enters the call is lost; the next one is not.
  static constexpr uint64_t kKickMs = 20;

  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (started_ || closed_ || !async_) {
      Napi::Error::New(env, "stream pump: start() once, before close()").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    PumpWakeSignal();  // installed before any thread can receive it
    started_ = true;
    running_ = true;
    this->Ref();
    uv_ref(reinterpret_cast<uv_handle_t *>(async_));
    thread_ = std::thread([this] {
      // Signals are the main thread's business: f_fs ends an interrupted blocking transfer with
      // EINTR, so a SIGCHLD landing here would end a copy stream. Only the wake signal gets in.
      sigset_t all;
      sigfillset(&all);
      if (common_.interrupt_on_stop) sigdelset(&all, PumpWakeSignal());
      pthread_sigmask(SIG_SETMASK, &all, nullptr);
      static_cast<T *>(this)->Run();
      static_cast<T *>(this)->AfterRun();
      ended_ = true;
      uv_async_send(async_);
    });
    return env.Undefined();
  }

  // stop(): no new transfers; the thread ends (or cancels) those in flight, then onDone follows,
  // within settleMs (TRANSFERS_STUCK past it).
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    RequestStop();
    return info.Env().Undefined();
  }

  // close(): onDone is not called any more; returns at once. What the thread holds is released
  // once it has ended.
  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (closed_) return info.Env().Undefined();
    closed_ = true;
    RequestStop();
    if (!running_) common_.Release();
    return info.Env().Undefined();
  }

  // tally() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers, inFlight}
  Napi::Value Tally(const Napi::CallbackInfo &info) {
    std::lock_guard<std::mutex> lock(mu_);
    Napi::Object t = common_.tally->ToJs(info.Env());
    t.Set("inFlight", static_cast<double>(running_ ? static_cast<T *>(this)->InFlight() : 0));
    return t;
  }

  void RequestStop() {
    bool was = stop_.exchange(true);
    if (was || !running_) return;
    stop_at_ = uv_hrtime();
    Kick();
    uv_timer_start(timer_, OnTick, kKickMs, kKickMs);
  }

  void Kick() {
    // The thread is not joined before OnEnded, so its handle is valid here even once it has ended.
    if (running_ && common_.interrupt_on_stop && !ended_) pthread_kill(thread_.native_handle(), PumpWakeSignal());
  }

  static void OnTick(uv_timer_t *handle) {
    auto *self = static_cast<ThreadPump *>(handle->data);
    if (!self->running_) {
      uv_timer_stop(handle);
      return;
    }
    self->Kick();
    if (self->reported_ || uv_hrtime() - self->stop_at_ < self->common_.settle_ms * 1000000) return;
    unsigned left = static_cast<T *>(self)->InFlight();
    if (left == 0) return;  // the thread is about to end: OnEnded reports
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->common_.FailStuck(left);
    }
    Napi::HandleScope scope(self->Env());
    self->Report();
  }

  // onDone, once: when the thread ends, or at the settle deadline with transfers still stuck.
  void Report() {
    if (reported_) return;
    reported_ = true;
    if (closed_) return;
    Napi::Object result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      result = common_.DoneResult(this->Env(), finished_);
    }
    common_.CallDone(this->Value(), result);
  }

  static void OnEnded(uv_async_t *handle) {
    auto *self = static_cast<ThreadPump *>(handle->data);
    if (!self->running_ || !self->ended_) return;
    self->thread_.join();  // it has ended: nothing left to wait for
    self->running_ = false;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    self->Report();  // may call close()
    uv_timer_stop(self->timer_);
    uv_unref(reinterpret_cast<uv_handle_t *>(self->async_));
    if (self->closed_) self->common_.Release();
    self->Unref();
  }

  std::thread thread_;
  uv_async_t *async_ = nullptr;
  uv_timer_t *timer_ = nullptr;
  uint64_t finished_ = 0;
  uint64_t stop_at_ = 0;            // uv_hrtime() of the first stop() or close() (ns)
  bool running_ = false;            // the thread has not been joined yet
  std::atomic<bool> ended_{false};  // the thread has returned from AfterRun()
  bool closed_ = false;
  bool reported_ = false;  // onDone called (or not to be called: closed)
};

}  // namespace ffslab
