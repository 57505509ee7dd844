// Linux native AIO (io_setup/io_submit/io_getevents/io_cancel by syscall, no libaio) with
// completions signalled on an eventfd that libuv polls, so JS never blocks waiting for I/O; close()
// waits at most 2 s for cancelled requests (see aio_context.cc).
#pragma once
#include <linux/aio_abi.h>
#include <napi.h>
#include <uv.h>

#include <unordered_map>
#include <vector>

namespace ffslab {

class AioContext : public Napi::ObjectWrap<AioContext> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new AioContext(maxEvents, onComplete(ids: number[], results: number[]))
  explicit AioContext(const Napi::CallbackInfo &info);
  ~AioContext() override;

 private:
  struct InFlight {
    struct iocb cb;
    double id;
    Napi::ObjectReference buffer;  // keeps the memory alive until completion
  };

  Napi::Value Submit(const Napi::CallbackInfo &info);
  Napi::Value Cancel(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value InFlightCount(const Napi::CallbackInfo &info);
  Napi::Value MaxEvents(const Napi::CallbackInfo &info);

  static void OnReadable(uv_poll_t *handle, int status, int events);
  void Drain();
  void Reap(const struct io_event *events, long got, std::vector<double> &ids, std::vector<double> &results);
  void Deliver(Napi::Env env, const std::vector<double> &ids, const std::vector<double> &results);
  void UpdateRef();

  aio_context_t ctx_ = 0;
  int efd_ = -1;
  unsigned max_events_ = 0;
  bool closed_ = false;
  bool self_ref_ = false;
  uv_poll_t *poll_ = nullptr;
  Napi::FunctionReference on_complete_;
  std::unordered_map<double, InFlight *> in_flight_;
};

}  // namespace ffslab
