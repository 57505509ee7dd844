// What the pumps that run a stream on a thread of their own share (StreamPump: AIO; CopyPump:
// blocking read/write; DmabufPump: DMABUF fences): the JS surface start() / stop() / tally() /
// close(), the thread, and onDone, posted to the event loop once the thread has ended. T
// provides Run() (the thread's work: it returns when the stream has ended or halted with nothing
// in flight), InFlight(), and Closed() (called by close() after the thread was dealt with).
// T::kJoinOnClose says whether close() may wait for the thread: a thread that can sit in a
// blocking call (CopyPump) is left to end by itself, keeping the slots referenced until then.
// A running pump pins itself (Ref), so it is not collected under its thread.
// Lifecycle: new -> start() -> (stop()) -> onDone -> close().
#pragma once
#include <napi.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "pump_common.h"

namespace ffslab {

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
    if (async_) uv_close(reinterpret_cast<uv_handle_t *>(async_), [](uv_handle_t *h) { delete reinterpret_cast<uv_async_t *>(h); });
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
    return true;
  }

  // Record the stream's progress: transfers finished in stream order. Call with mu_ held.
  void SetFinished(uint64_t n) { finished_ = n; }

  PumpCommon common_;
  std::mutex mu_;  // guards common_'s tally and error, and finished_
  std::atomic<bool> stop_{false};
  bool started_ = false;

 private:
  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (started_ || closed_ || !async_) {
      Napi::Error::New(env, "stream pump: start() once, before close()").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    started_ = true;
    running_ = true;
    this->Ref();
    uv_ref(reinterpret_cast<uv_handle_t *>(async_));
    thread_ = std::thread([this] {
      // Signals are the main thread's business: f_fs ends an interrupted blocking transfer with
      // EINTR, so a SIGCHLD landing here would end a copy stream.
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);
      static_cast<T *>(this)->Run();
      uv_async_send(async_);
    });
    return env.Undefined();
  }

  // stop(): no new transfers; the thread ends (or cancels) those in flight, then onDone follows.
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    stop_ = true;
    return info.Env().Undefined();
  }

  // close(): onDone is not called any more; everything is released once the thread has ended.
  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (closed_) return info.Env().Undefined();
    closed_ = true;
    stop_ = true;
    if (running_ && T::kJoinOnClose) {
      Join();
      this->Unref();  // OnEnded, still to come, finds the thread joined and leaves it at that
    }
    static_cast<T *>(this)->Closed();
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

  static void OnEnded(uv_async_t *handle) {
    auto *self = static_cast<ThreadPump *>(handle->data);
    if (!self->running_) return;
    self->Join();
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    if (!self->closed_) {
      uint64_t finished;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        finished = self->finished_;
      }
      self->common_.CallDone(env, self->Value(), finished);
    } else {
      self->common_.Release();
    }
    self->Unref();
  }

  void Join() {
    if (!running_) return;
    thread_.join();
    running_ = false;
    uv_unref(reinterpret_cast<uv_handle_t *>(async_));
  }

  std::thread thread_;
  uv_async_t *async_ = nullptr;
  uint64_t finished_ = 0;
  bool running_ = false;  // the thread has not been joined yet
  bool closed_ = false;
};

}  // namespace ffslab
