#include "stream_pump.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "aio_syscalls.h"
#include "errno_error.h"

namespace ffslab {

namespace {

// Most events reaped per io_getevents call.
constexpr long kReap = 256;
// How long the thread waits for a completion before it looks at the stop flag again (ns).
constexpr long kStopPollNs = 50 * 1000 * 1000;

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
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  async_ = new uv_async_t;
  uv_async_init(loop, async_, OnEnded);
  async_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t *>(async_));
}

StreamPump::~StreamPump() {
  // A running pump pins itself, so the thread has ended (or never started) here.
  if (ctx_) IoDestroy(ctx_);
  if (async_) uv_close(reinterpret_cast<uv_handle_t *>(async_), [](uv_handle_t *h) { delete reinterpret_cast<uv_async_t *>(h); });
}

// start(): the thread submits the first transfers. onDone follows once every transfer is
// finished, or once the pump halted (an error, or stop()) and nothing is in flight any more.
Napi::Value StreamPump::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (started_ || closed_ || !ctx_) {
    Napi::Error::New(env, "StreamPump: start() once, before close()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  started_ = true;
  running_ = true;
  Ref();
  uv_ref(reinterpret_cast<uv_handle_t *>(async_));
  thread_ = std::thread([this] { Run(); });
  return env.Undefined();
}

// stop(): no new transfers; the thread cancels those in flight. onDone follows once they settled.
Napi::Value StreamPump::Stop(const Napi::CallbackInfo &info) {
  stop_ = true;
  return info.Env().Undefined();
}

// close(): release everything; onDone is not called any more. A thread still waiting for
// cancelled transfers is waited for, then io_destroy reaps anything left.
Napi::Value StreamPump::Close(const Napi::CallbackInfo &info) {
  if (closed_) return info.Env().Undefined();
  closed_ = true;
  stop_ = true;
  if (running_) {
    Join();
    Unref();  // OnEnded, still to come, finds the thread joined and leaves it at that
  }
  if (ctx_) IoDestroy(ctx_);
  ctx_ = 0;
  in_flight_ = 0;
  common_.Release();
  return info.Env().Undefined();
}

// tally() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers, inFlight}
Napi::Value StreamPump::Tally(const Napi::CallbackInfo &info) {
  std::lock_guard<std::mutex> lock(mu_);
  Napi::Object t = common_.tally->ToJs(info.Env());
  t.Set("inFlight", static_cast<double>(in_flight_.load()));
  return t;
}

void StreamPump::Run() {
  uint64_t transfers = common_.tally->shape().transfers;
  std::vector<struct iocb *> batch;
  while (next_ < transfers && next_ < slots_.size()) {
    Slot &s = slots_[next_ % slots_.size()];
    Prepare(s, next_++);
    batch.push_back(&s.cb);
  }
  Submit(batch);
  struct io_event events[kReap];
  while (in_flight_ > 0) {
    if (stop_ && !halted_) Halt();
    struct timespec wait = {0, kStopPollNs};
    long got = IoGetevents(ctx_, 1, kReap, events, &wait);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      std::lock_guard<std::mutex> lock(mu_);
      common_.FailErrno(errno, "io_getevents");
      break;  // close() reaps what is left with io_destroy
    }
    for (long i = 0; i < got; i++) {
      auto *s = reinterpret_cast<Slot *>(events[i].data);
      s->busy = false;
      s->done = true;
      s->res = static_cast<int64_t>(events[i].res);
      in_flight_--;
    }
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!halted_ && turn_ < transfers) {
        Slot &s = slots_[turn_ % slots_.size()];
        if (!s.done || s.k != turn_) break;
        s.done = false;
        Finish(s);
        if (halted_) break;
        turn_++;
        finished_ = turn_;
        if (next_ < transfers) {
          Prepare(s, next_++);
          batch.push_back(&s.cb);
        }
      }
    }
    if (!halted_) Submit(batch);
  }
  uv_async_send(async_);
}

void StreamPump::OnEnded(uv_async_t *handle) {
  auto *self = static_cast<StreamPump *>(handle->data);
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
  }
  self->Unref();
}

// Wait for the thread (it has ended or is about to when this is called from OnEnded).
void StreamPump::Join() {
  if (!running_) return;
  thread_.join();
  running_ = false;
  uv_unref(reinterpret_cast<uv_handle_t *>(async_));
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
  s.cb.aio_data = reinterpret_cast<uint64_t>(&s);
  s.k = k;
  s.done = false;
}

// Account transfer s.k (sender), or check and account it (receiver). Called with mu_ held.
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
      int err = r < 0 ? errno : EAGAIN;
      std::lock_guard<std::mutex> lock(mu_);
      common_.FailErrno(err, "io_submit");
      Halt();
      break;
    }
    for (long i = 0; i < r; i++) reinterpret_cast<Slot *>(cbs[at + i]->aio_data)->busy = true;
    in_flight_ += static_cast<unsigned>(r);
    at += static_cast<size_t>(r);
  }
}

// No new transfers; cancel those in flight (they still complete, with their error, through
// io_getevents). Runs on the thread.
void StreamPump::Halt() {
  halted_ = true;
  struct io_event ev;
  for (Slot &s : slots_)
    if (s.busy) IoCancel(ctx_, &s.cb, &ev);
}

}  // namespace ffslab
