#include "stream_pump.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "aio_syscalls.h"
#include "buffer_span.h"
#include "errno_error.h"

namespace ffslab {

namespace {

// Most events reaped per io_getevents call.
constexpr long kReap = 256;

double NumberField(Napi::Object o, const char *name) { return o.Get(name).ToNumber().DoubleValue(); }

bool IsCount(double v, double max) { return v >= 0 && v <= max && v == static_cast<double>(static_cast<uint64_t>(v)); }

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
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "StreamPump(options: object)").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value slots = o.Get("slots");
  Napi::Value pattern = o.Get("pattern");
  Napi::Value done = o.Get("onDone");
  double fd = NumberField(o, "fd");
  double transfer_size = NumberField(o, "transferSize");
  double total = NumberField(o, "totalBytes");
  double transfers = NumberField(o, "transfers");
  double mps = NumberField(o, "maxPacketSize");
  if (!slots.IsArray() || !pattern.IsBuffer() || !done.IsFunction() || !IsCount(fd, 1 << 30) || !IsCount(transfer_size, 1 << 30) ||
      !IsCount(total, 9007199254740991.0) || !IsCount(transfers, 9007199254740991.0) || !(mps >= 1 && mps <= 65535)) {
    Napi::TypeError::New(env, "StreamPump: bad options (fd, write, slots[], transferSize, totalBytes, transfers, maxPacketSize, pattern: Buffer, onDone)")
        .ThrowAsJavaScriptException();
    return;
  }
  write_ = o.Get("write").ToBoolean();
  transfer_size_ = static_cast<uint64_t>(transfer_size);
  total_bytes_ = static_cast<uint64_t>(total);
  transfers_ = static_cast<uint64_t>(transfers);
  mps_ = static_cast<uint32_t>(mps);
  Napi::Buffer<uint8_t> table = pattern.As<Napi::Buffer<uint8_t>>();
  pattern_ = table.Data();
  period_ = table.Length();
  if (period_ == 0) {
    Napi::RangeError::New(env, "StreamPump: empty pattern table").ThrowAsJavaScriptException();
    return;
  }
  pattern_ref_ = Napi::Persistent(table.As<Napi::Object>());
  Napi::Array list = slots.As<Napi::Array>();
  uint32_t n = list.Length();
  if (n < 1 || n > 65536) {
    Napi::RangeError::New(env, "StreamPump: 1..65536 slots").ThrowAsJavaScriptException();
    return;
  }
  // Every slot must hold the largest transfer as posted (receivers round up to the packet size).
  uint64_t first = ExpectedLength(0);
  uint64_t need = write_ ? first : (first == 0 ? mps_ : (first + mps_ - 1) / mps_ * mps_);
  slots_.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = list.Get(i);
    if (!BufferSpan(v, &slots_[i].data, &slots_[i].size) || (slots_[i].data == nullptr && need > 0) || slots_[i].size < need) {
      Napi::RangeError::New(env, "StreamPump: every slot must be a live buffer of at least the largest transfer").ThrowAsJavaScriptException();
      return;
    }
    slot_refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  on_done_ = Napi::Persistent(done.As<Napi::Function>());
  if (IoSetup(n, &ctx_) < 0) {
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
  for (Slot &s : slots_) s.cb.aio_fildes = static_cast<uint32_t>(fd);
}

StreamPump::~StreamPump() {
  // A running pump pins itself, so only an idle (finished or never started) one gets here.
  if (!closed_) {
    if (ctx_) IoDestroy(ctx_);
    ReleaseLoop();
  }
}

// start(): submit the first transfers. onDone follows once every transfer is finished, or once
// the pump stopped (an error, or stop()) and nothing is in flight any more.
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
  while (next_ < transfers_ && next_ < slots_.size()) {
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
    stopping_ = true;
    CancelAll();
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
  for (auto &r : slot_refs_) r.Reset();
  slot_refs_.clear();
  pattern_ref_.Reset();
  return info.Env().Undefined();
}

// tally() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers, inFlight}
Napi::Value StreamPump::Tally(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object t = Napi::Object::New(env);
  t.Set("bytes", static_cast<double>(bytes_));
  t.Set("transfers", static_cast<double>(counted_));
  t.Set("crc", static_cast<double>(crc_));
  t.Set("firstBadOffset", first_bad_ < 0 ? env.Null() : Napi::Number::New(env, static_cast<double>(first_bad_)));
  if (!fault_.empty()) t.Set("fault", fault_);
  t.Set("badTransfers", static_cast<double>(bad_transfers_));
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
  while (!stopping_ && turn_ < transfers_) {
    Slot &s = slots_[turn_ % slots_.size()];
    if (!s.done || s.k != turn_) break;
    s.done = false;
    Finish(s);
    if (stopping_) break;
    turn_++;
    if (next_ < transfers_) {
      Prepare(s, next_++);
      batch.push_back(&s.cb);
    }
  }
  if (!stopping_) Submit(batch);
  MaybeDone();
}

uint64_t StreamPump::ExpectedLength(uint64_t k) const {
  if (transfer_size_ == 0) return 0;
  return std::min(transfer_size_, total_bytes_ - k * transfer_size_);
}

void StreamPump::Prepare(Slot &s, uint64_t k) {
  uint64_t expected = ExpectedLength(k);
  uint64_t length = expected;
  if (write_)
    FillPattern(s.data, expected, k * transfer_size_);
  else
    length = expected == 0 ? mps_ : (expected + mps_ - 1) / mps_ * mps_;
  uint32_t fd = s.cb.aio_fildes;
  std::memset(&s.cb, 0, sizeof(s.cb));
  s.cb.aio_fildes = fd;
  s.cb.aio_lio_opcode = write_ ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
  s.cb.aio_buf = reinterpret_cast<uint64_t>(s.data);
  s.cb.aio_nbytes = length;
  s.cb.aio_flags = IOCB_FLAG_RESFD;
  s.cb.aio_resfd = static_cast<uint32_t>(efd_);
  s.cb.aio_data = reinterpret_cast<uint64_t>(&s);
  s.k = k;
  s.done = false;
}

// Account transfer s.k (sender), or check and account it (receiver), as stream-tally.ts does.
void StreamPump::Finish(Slot &s) {
  if (s.res < 0) {
    Fail(static_cast<int>(-s.res), write_ ? "io_submit(PWRITE)" : "io_submit(PREAD)");
    return;
  }
  uint64_t k = s.k;
  uint64_t expected = ExpectedLength(k);
  uint64_t offset = k * transfer_size_;
  uint64_t n = static_cast<uint64_t>(s.res);
  char detail[160];
  if (write_ && n != expected) {
    snprintf(detail, sizeof(detail), "transfer %llu: wrote %llu of %llu bytes", static_cast<unsigned long long>(k), static_cast<unsigned long long>(n),
             static_cast<unsigned long long>(expected));
    FailWith("SHORT_WRITE", detail);
    return;
  }
  if (n) crc_ = static_cast<uint32_t>(crc32(crc_, s.data, static_cast<uInt>(n)));
  bytes_ += n;
  counted_++;
  if (write_) return;
  bool ok = true;
  uint64_t common = std::min(expected, n);
  long bad = common ? Verify(s.data, common, offset) : -1;
  if (bad >= 0) {
    ok = false;
    if (first_bad_ < 0) {
      first_bad_ = static_cast<int64_t>(offset + bad);
      snprintf(detail, sizeof(detail), "byte 0x%02x, expected 0x%02x (transfer %llu)", s.data[bad], pattern_[(offset + bad) % period_],
               static_cast<unsigned long long>(k));
      fault_ = detail;
    }
  }
  if (n != expected) {
    ok = false;
    if (first_bad_ < 0) {
      first_bad_ = static_cast<int64_t>(offset + common);
      snprintf(detail, sizeof(detail), "transfer %llu: %llu bytes, expected %llu", static_cast<unsigned long long>(k), static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(expected));
      fault_ = detail;
    }
  }
  if (!ok) bad_transfers_++;
}

void StreamPump::Submit(std::vector<struct iocb *> &cbs) {
  size_t at = 0;
  while (at < cbs.size()) {
    long r = IoSubmit(ctx_, static_cast<long>(cbs.size() - at), cbs.data() + at);
    if (r <= 0) {
      Fail(r < 0 ? errno : EAGAIN, "io_submit");
      break;
    }
    for (long i = 0; i < r; i++) reinterpret_cast<Slot *>(cbs[at + i]->aio_data)->busy = true;
    in_flight_ += static_cast<unsigned>(r);
    at += static_cast<size_t>(r);
  }
}

void StreamPump::Fail(int err, const char *syscall) {
  if (err_ == 0 && err_code_.empty()) {
    err_ = err;
    err_syscall_ = syscall;
  }
  stopping_ = true;
  CancelAll();
}

void StreamPump::FailWith(const std::string &code, const std::string &message) {
  if (err_ == 0 && err_code_.empty()) {
    err_code_ = code;
    err_message_ = message;
  }
  stopping_ = true;
  CancelAll();
}

void StreamPump::CancelAll() {
  struct io_event ev;
  // A cancelled transfer still completes through the eventfd, with its (error) result.
  for (Slot &s : slots_)
    if (s.busy) IoCancel(ctx_, &s.cb, &ev);
}

void StreamPump::MaybeDone() {
  if (finished_ || in_flight_ != 0 || (!stopping_ && turn_ < transfers_)) return;
  finished_ = true;
  uv_poll_stop(poll_);
  Napi::Env env = Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("finished", static_cast<double>(turn_));
  if (err_) {
    result.Set("errno", -err_);
    result.Set("syscall", err_syscall_);
  } else if (!err_code_.empty()) {
    result.Set("code", err_code_);
    result.Set("message", err_message_);
  }
  Unref();
  on_done_.MakeCallback(Value(), {result});
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

long StreamPump::Verify(const uint8_t *buf, size_t len, uint64_t offset) const {
  size_t pos = offset % period_;
  size_t i = 0;
  while (i < len) {
    size_t n = std::min(period_ - pos, len - i);
    if (std::memcmp(buf + i, pattern_ + pos, n) != 0) {
      for (size_t j = 0; j < n; j++)
        if (buf[i + j] != pattern_[pos + j]) return static_cast<long>(i + j);
    }
    i += n;
    pos = 0;
  }
  return -1;
}

void StreamPump::FillPattern(uint8_t *buf, size_t len, uint64_t offset) const {
  size_t pos = offset % period_;
  size_t i = 0;
  while (i < len) {
    size_t n = std::min(period_ - pos, len - i);
    std::memcpy(buf + i, pattern_ + pos, n);
    i += n;
    pos = 0;
  }
}

}  // namespace ffslab
