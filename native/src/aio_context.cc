#include "aio_context.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "aio_syscalls.h"
#include "buffer_span.h"
#include "errno_error.h"
#include "js_args.h"
#include "user_ptr.h"

namespace ffslab {

namespace {

// How long close() reaps cancelled requests before it leaves the rest to a detached io_destroy (ms).
constexpr long kCloseSettleMs = 2000;

}  // namespace

Napi::Function AioContext::Init(Napi::Env env) {
  return DefineClass(env, "AioContext",
                     {
                         InstanceMethod<&AioContext::Submit>("submit"),
                         InstanceMethod<&AioContext::Cancel>("cancel"),
                         InstanceMethod<&AioContext::Close>("close"),
                         InstanceAccessor<&AioContext::InFlightCount>("inFlight"),
                         InstanceAccessor<&AioContext::MaxEvents>("maxEvents"),
                     });
}

AioContext::AioContext(const Napi::CallbackInfo &info) : Napi::ObjectWrap<AioContext>(info) {
  Napi::Env env = info.Env();
  int64_t n;
  if (!ArgInt(env, info[0], "AioContext", "maxEvents", 1, 65536, &n)) return;
  if (!info[1].IsFunction()) {
    Napi::TypeError::New(env, "AioContext(maxEvents: number, onComplete: function)").ThrowAsJavaScriptException();
    return;
  }
  max_events_ = static_cast<unsigned>(n);
  if (IoSetup(max_events_, &ctx_) < 0) {
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
  uv_poll_start(poll_, UV_READABLE, OnReadable);
  uv_unref(reinterpret_cast<uv_handle_t *>(poll_));
  on_complete_ = Napi::Persistent(info[1].As<Napi::Function>());
}

AioContext::~AioContext() {
  if (!closed_ && poll_) {
    // GC without close(): nothing can be in flight (a self-reference pins us meanwhile).
    IoDestroy(ctx_);
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
    close(efd_);
  }
}

// submit([{fd, write, buffer, offset, length, id}, ...]) -> number submitted.
Napi::Value AioContext::Submit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closed_ || !poll_) {
    ThrowErrno(env, EBADF, "io_submit", "(context closed)");
    return env.Undefined();
  }
  if (!info[0].IsArray()) {
    Napi::TypeError::New(env, "submit(requests: array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array reqs = info[0].As<Napi::Array>();
  uint32_t n = reqs.Length();
  std::vector<InFlight *> batch;
  std::vector<struct iocb *> cbs;
  batch.reserve(n);
  auto discard = [&]() {
    for (InFlight *p : batch) delete p;
  };
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value rv = reqs.Get(i);
    if (!rv.IsObject()) {
      discard();
      Napi::TypeError::New(env, "submit: requests[" + std::to_string(i) + "] must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object r = rv.As<Napi::Object>();
    Napi::Value buf = r.Get("buffer");
    uint8_t *data;
    size_t len;
    if (!BufferSpan(buf, &data, &len)) {
      discard();
      Napi::TypeError::New(env, "request.buffer must be an ArrayBuffer or a view").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int64_t offset_i, length_i, id_i;
    int fd;
    if (!ArgFd(env, r.Get("fd"), "AioContext.submit", "request.fd", &fd) || !ArgInt(env, r.Get("offset"), "AioContext.submit", "request.offset", 0, kMaxSafeInteger, &offset_i) ||
        !ArgInt(env, r.Get("length"), "AioContext.submit", "request.length", 0, kMaxSafeInteger, &length_i) ||
        !ArgInt(env, r.Get("id"), "AioContext.submit", "request.id", 0, kMaxSafeInteger, &id_i)) {
      discard();
      return env.Undefined();
    }
    double offset = static_cast<double>(offset_i), length = static_cast<double>(length_i), id = static_cast<double>(id_i);
    if (data == nullptr && len == 0 && length > 0) {
      discard();
      ThrowErrno(env, EFAULT, "io_submit", "(buffer released)");
      return env.Undefined();
    }
    if (!(offset >= 0 && length >= 0 && offset + length <= static_cast<double>(len))) {
      discard();
      Napi::RangeError::New(env, "request offset/length outside its buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (in_flight_.count(id)) {
      discard();
      Napi::Error::New(env, "request id already in flight").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    InFlight *p = new InFlight();
    std::memset(&p->cb, 0, sizeof(p->cb));
    p->id = id;
    p->cb.aio_fildes = static_cast<uint32_t>(fd);
    p->cb.aio_lio_opcode = r.Get("write").ToBoolean() ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
    p->cb.aio_buf = UserPtr(data + static_cast<size_t>(offset));
    p->cb.aio_nbytes = static_cast<uint64_t>(length);
    p->cb.aio_flags = IOCB_FLAG_RESFD;
    p->cb.aio_resfd = efd_;
    p->cb.aio_data = UserPtr(p);
    p->buffer = Napi::Persistent(buf.As<Napi::Object>());
    batch.push_back(p);
    cbs.push_back(&p->cb);
  }
  long done = n ? IoSubmit(ctx_, n, cbs.data()) : 0;
  if (done < 0) {
    int err = errno;
    discard();
    ThrowErrno(env, err, "io_submit");
    return env.Undefined();
  }
  for (long i = 0; i < static_cast<long>(n); i++) {
    if (i < done)
      in_flight_[batch[i]->id] = batch[i];
    else
      delete batch[i];
  }
  UpdateRef();
  return Napi::Number::New(env, static_cast<double>(done));
}

// cancel(id) -> 0 when the kernel accepted the cancel, else the errno (EINPROGRESS, EINVAL...).
Napi::Value AioContext::Cancel(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t id;
  if (!ArgInt(env, info[0], "AioContext.cancel", "id", 0, kMaxSafeInteger, &id)) return env.Undefined();
  auto it = in_flight_.find(static_cast<double>(id));
  if (closed_ || it == in_flight_.end()) return Napi::Number::New(env, EINVAL);
  struct io_event ev;
  long r = IoCancel(ctx_, &it->second->cb, &ev);
  // The completion, if any, arrives through the eventfd like any other.
  return Napi::Number::New(env, r < 0 ? errno : 0);
}

// close(): cancels everything in flight and reaps it for at most kCloseSettleMs; what completed
// reports its own result, the rest -ECANCELED. Requests the kernel still holds after that are
// left to io_destroy on a detached thread, so close() never waits for a UDC that does not give
// them back; their buffers stay referenced (never freed under the kernel) for the process's life.
Napi::Value AioContext::Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (closed_ || !poll_) return env.Undefined();
  Drain();
  closed_ = true;
  std::vector<double> ids, results;
  if (!in_flight_.empty()) {
    struct io_event ev;
    for (auto &kv : in_flight_) IoCancel(ctx_, &kv.second->cb, &ev);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct io_event events[256];
    while (!in_flight_.empty()) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long waited_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (waited_ms >= kCloseSettleMs) break;
      long left_ms = kCloseSettleMs - waited_ms;
      struct timespec wait = {left_ms / 1000, (left_ms % 1000) * 1000000};
      long got = IoGetevents(ctx_, 1, 256, events, &wait);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      Reap(events, got, ids, results);
    }
  }
  if (in_flight_.empty()) {
    IoDestroy(ctx_);
  } else {
    aio_context_t ctx = ctx_;
    std::thread([ctx] { IoDestroy(ctx); }).detach();
    for (auto &kv : in_flight_) {
      ids.push_back(kv.first);
      results.push_back(-ECANCELED);
      kv.second->buffer.SuppressDestruct();  // the kernel may still write into it: never released
    }
  }
  ctx_ = 0;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
  poll_ = nullptr;
  close(efd_);
  efd_ = -1;
  in_flight_.clear();  // the InFlight records of stuck requests are leaked with their buffers
  if (!ids.empty()) Deliver(env, ids, results);
  UpdateRef();
  return env.Undefined();
}

Napi::Value AioContext::InFlightCount(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), static_cast<double>(in_flight_.size())); }

Napi::Value AioContext::MaxEvents(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), max_events_); }

void AioContext::OnReadable(uv_poll_t *handle, int status, int events) {
  auto *self = static_cast<AioContext *>(handle->data);
  Napi::HandleScope scope(self->Env());
  self->Drain();
}

// Account `got` completed events: their ids and results for JS, their records freed.
void AioContext::Reap(const struct io_event *events, long got, std::vector<double> &ids, std::vector<double> &results) {
  for (long i = 0; i < got; i++) {
    auto *p = FromUserPtr<InFlight>(events[i].data);
    ids.push_back(p->id);
    results.push_back(static_cast<double>(static_cast<int64_t>(events[i].res)));
    in_flight_.erase(p->id);
    delete p;
  }
}

// Reap every completed event and hand them to JS in one call.
void AioContext::Drain() {
  uint64_t count;
  while (read(efd_, &count, sizeof(count)) == sizeof(count)) {
  }
  std::vector<double> ids, results;
  struct io_event events[256];
  struct timespec zero = {0, 0};
  for (;;) {
    long got = IoGetevents(ctx_, 0, 256, events, &zero);
    if (got <= 0) break;
    Reap(events, got, ids, results);
    if (got < 256) break;
  }
  if (!ids.empty()) {
    Deliver(Env(), ids, results);
    UpdateRef();
  }
}

void AioContext::Deliver(Napi::Env env, const std::vector<double> &ids, const std::vector<double> &results) {
  Napi::Array a = Napi::Array::New(env, ids.size());
  Napi::Array b = Napi::Array::New(env, results.size());
  for (size_t i = 0; i < ids.size(); i++) {
    a.Set(i, ids[i]);
    b.Set(i, results[i]);
  }
  on_complete_.MakeCallback(Value(), {a, b});
}

// While anything is in flight, keep the loop alive and pin this object against GC.
void AioContext::UpdateRef() {
  bool busy = !in_flight_.empty();
  if (poll_) {
    if (busy)
      uv_ref(reinterpret_cast<uv_handle_t *>(poll_));
    else
      uv_unref(reinterpret_cast<uv_handle_t *>(poll_));
  }
  if (busy && !self_ref_) {
    Ref();
    self_ref_ = true;
  } else if (!busy && self_ref_) {
    Unref();
    self_ref_ = false;
  }
}

}  // namespace ffslab
