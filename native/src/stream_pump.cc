#include "stream_pump.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "aio_syscalls.h"
#include "errno_error.h"

namespace ffslab {

namespace {

// Most events reaped per io_getevents call.
constexpr long kReap = 256;

}  // namespace

Napi::Function StreamPump::Init(Napi::Env env) {
  return DefineClass(env, "StreamPump",
                     {
                         InstanceMethod<&StreamPump::Start>("start"),
                         InstanceMethod<&StreamPump::Stop>("stop"),
                         InstanceMethod<&StreamPump::Close>("close"),
                         InstanceMethod<&StreamPump::Tally>("tally"),
                     });
}

StreamPump::StreamPump(const Napi::CallbackInfo &info) : Napi::ObjectWrap<StreamPump>(info) {
  Napi::Env env = info.Env();
  if (!common_.Parse(info, "StreamPump", 65536)) return;
  slots_.resize(common_.slots.size());
  for (size_t i = 0; i < slots_.size(); i++) slots_[i].mem = common_.slots[i];
  if (IoSetup(static_cast<unsigned>(slots_.size()), &ctx_) < 0) {
    ctx_ = 0;
    ThrowErrno(env, errno, "io_setup");
    return;
  }
  efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd_ < 0) {
    int err = errno;
    IoDestroy(ctx_);
    ctx_ = 0;
    ThrowErrno(env, err, "eventfd");
    return;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  uv_poll_init(loop, poll_, efd_);
  poll_->data = this;
}

StreamPump::~StreamPump() {
  // A running pump pins itself, so only an idle (finished or never started) one gets here.
  if (!closed_) {
    if (ctx_) IoDestroy(ctx_);
    ReleaseLoop();
  }
}

// start(): submit the first transfers. onDone follows once every transfer is finished, or once
// the pump halted (an error, or stop()) and nothing is in flight any more.
Napi::Value StreamPump::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (started_ || closed_ || !ctx_) {
    Napi::Error::New(env, "StreamPump: start() once, before close()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  started_ = true;
  Ref();
  uv_poll_start(poll_, UV_READABLE, OnReadable);
  std::vector<struct iocb *> batch;
  uint64_t transfers = common_.tally->shape().transfers;
  while (next_ < transfers && next_ < slots_.size()) {
    Slot &s = slots_[next_ % slots_.size()];
    Prepare(s, next_++);
    batch.push_back(&s.cb);
  }
  Submit(batch);
  MaybeDone();
  return env.Undefined();
}

// stop(): no new transfers; cancel those in flight. onDone follows once they have settled.
Napi::Value StreamPump::Stop(const Napi::CallbackInfo &info) {
  if (started_ && !finished_) {
    Halt();
    MaybeDone();
  }
  return info.Env().Undefined();
}

// close(): release everything. What is still in flight (a stop that did not settle) is
// cancelled and waited for by io_destroy; onDone is not called any more.
Napi::Value StreamPump::Close(const Napi::CallbackInfo &info) {
  if (closed_) return info.Env().Undefined();
  closed_ = true;
  if (ctx_) IoDestroy(ctx_);
  ctx_ = 0;
  in_flight_ = 0;
  if (started_ && !finished_) {
    finished_ = true;
    Unref();
  }
  ReleaseLoop();
  common_.Release();
  return info.Env().Undefined();
}

// tally() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers, inFlight}
Napi::Value StreamPump::Tally(const Napi::CallbackInfo &info) {
  Napi::Object t = common_.tally->ToJs(info.Env());
  t.Set("inFlight", static_cast<double>(in_flight_));
  return t;
}

void StreamPump::OnReadable(uv_poll_t *handle, int status, int events) {
  auto *self = static_cast<StreamPump *>(handle->data);
  Napi::HandleScope scope(self->Env());
  self->Drain();
}

// Reap what completed, finish transfers in stream order, resubmit their slots in one batch.
void StreamPump::Drain() {
  uint64_t count;
  while (read(efd_, &count, sizeof(count)) == sizeof(count)) {
  }
  struct io_event events[kReap];
  struct timespec zero = {0, 0};
  for (;;) {
    long got = IoGetevents(ctx_, 0, kReap, events, &zero);
    if (got <= 0) break;
    for (long i = 0; i < got; i++) {
      auto *s = reinterpret_cast<Slot *>(events[i].data);
      s->busy = false;
      s->done = true;
      s->res = static_cast<int64_t>(events[i].res);
      in_flight_--;
    }
    if (got < kReap) break;
  }
  std::vector<struct iocb *> batch;
  uint64_t transfers = common_.tally->shape().transfers;
  while (!stopping_ && turn_ < transfers) {
    Slot &s = slots_[turn_ % slots_.size()];
    if (!s.done || s.k != turn_) break;
    s.done = false;
    Finish(s);
    if (stopping_) break;
    turn_++;
    if (next_ < transfers) {
      Prepare(s, next_++);
      batch.push_back(&s.cb);
    }
  }
  if (!stopping_) Submit(batch);
  MaybeDone();
}

void StreamPump::Prepare(Slot &s, uint64_t k) {
  const StreamTally &t = *common_.tally;
  uint64_t length = common_.write ? t.Expected(k) : t.PostLength(k);
  if (common_.write) t.Fill(s.mem.data, k);
  std::memset(&s.cb, 0, sizeof(s.cb));
  s.cb.aio_fildes = static_cast<uint32_t>(common_.fd);
  s.cb.aio_lio_opcode = common_.write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
  s.cb.aio_buf = reinterpret_cast<uint64_t>(s.mem.data);
  s.cb.aio_nbytes = length;
  s.cb.aio_flags = IOCB_FLAG_RESFD;
  s.cb.aio_resfd = static_cast<uint32_t>(efd_);
  s.cb.aio_data = reinterpret_cast<uint64_t>(&s);
  s.k = k;
  s.done = false;
}

// Account transfer s.k (sender), or check and account it (receiver).
void StreamPump::Finish(Slot &s) {
  if (s.res < 0) {
    common_.FailErrno(static_cast<int>(-s.res), common_.write ? "io_submit(PWRITE)" : "io_submit(PREAD)");
    Halt();
    return;
  }
  uint64_t n = static_cast<uint64_t>(s.res);
  if (!common_.write) {
    common_.tally->Received(s.k, s.mem.data, n);
    return;
  }
  std::string error;
  if (!common_.tally->Sent(s.k, s.mem.data, n, &error)) {
    common_.FailWith("SHORT_WRITE", error);
    Halt();
  }
}

void StreamPump::Submit(std::vector<struct iocb *> &cbs) {
  size_t at = 0;
  while (at < cbs.size()) {
    long r = IoSubmit(ctx_, static_cast<long>(cbs.size() - at), cbs.data() + at);
    if (r <= 0) {
      common_.FailErrno(r < 0 ? errno : EAGAIN, "io_submit");
      Halt();
      break;
    }
    for (long i = 0; i < r; i++) reinterpret_cast<Slot *>(cbs[at + i]->aio_data)->busy = true;
    in_flight_ += static_cast<unsigned>(r);
    at += static_cast<size_t>(r);
  }
}

// No new transfers; cancel those in flight (they still complete through the eventfd).
void StreamPump::Halt() {
  stopping_ = true;
  struct io_event ev;
  for (Slot &s : slots_)
    if (s.busy) IoCancel(ctx_, &s.cb, &ev);
}

void StreamPump::MaybeDone() {
  if (finished_ || in_flight_ != 0 || (!stopping_ && turn_ < common_.tally->shape().transfers)) return;
  finished_ = true;
  uv_poll_stop(poll_);
  Unref();
  common_.CallDone(Env(), Value(), turn_);
}

void StreamPump::ReleaseLoop() {
  if (poll_) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
    poll_ = nullptr;
  }
  if (efd_ >= 0) close(efd_);
  efd_ = -1;
}

}  // namespace ffslab
