#include "stream_pump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "aio_syscalls.h"
#include "errno_error.h"
#include "user_ptr.h"

namespace ffslab {

namespace {

// Most events reaped per io_getevents call.
constexpr long kReap = 256;
// How long the thread waits for a completion before it looks at the stop flag again (ns).
constexpr long kStopPollNs = 50 * 1000 * 1000;

}  // namespace

StreamPump::StreamPump(const Napi::CallbackInfo &info) : ThreadPump<StreamPump>(info) {
  if (!Setup(info, "StreamPump", 65536)) return;
  slots_.resize(common_.slots.size());
  for (size_t i = 0; i < slots_.size(); i++) slots_[i].mem = common_.slots[i];
  if (IoSetup(static_cast<unsigned>(slots_.size()), &ctx_) < 0) {
    ctx_ = 0;
    ThrowErrno(info.Env(), errno, "io_setup");
    return;
  }
  fd_ = fcntl(common_.fd, F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) ThrowErrno(info.Env(), errno, "dup");
}

StreamPump::~StreamPump() {
  // A running pump pins itself, so the thread has ended (or never started) here.
  AfterRun();
}

// On the thread once Run() has returned (nothing in flight but after an io_getevents failure):
// io_destroy cancels and reaps whatever is left, then the dup is closed.
void StreamPump::AfterRun() {
  if (ctx_) IoDestroy(ctx_);
  ctx_ = 0;
  in_flight_ = 0;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
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
      auto *s = FromUserPtr<Slot>(events[i].data);
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
        SetFinished(turn_);
        if (next_ < transfers) {
          Prepare(s, next_++);
          batch.push_back(&s.cb);
        }
      }
    }
    if (!halted_) Submit(batch);
  }
}

void StreamPump::Prepare(Slot &s, uint64_t k) {
  const StreamTally &t = *common_.tally;
  uint64_t length = common_.write ? t.Expected(k) : t.PostLength(k);
  if (common_.write) t.Fill(s.mem.data, k);
  std::memset(&s.cb, 0, sizeof(s.cb));
  s.cb.aio_fildes = static_cast<uint32_t>(fd_);
  s.cb.aio_lio_opcode = common_.write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
  s.cb.aio_buf = UserPtr(s.mem.data);
  s.cb.aio_nbytes = length;
  s.cb.aio_data = UserPtr(&s);
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
    if (!common_.Receive(s.k, s.mem.data, n)) Halt();
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
    // A submission can block (a descriptor without O_NONBLOCK): count it as in flight meanwhile.
    submitting_ = static_cast<unsigned>(cbs.size() - at);
    long r = IoSubmit(ctx_, static_cast<long>(cbs.size() - at), cbs.data() + at);
    if (r > 0) in_flight_ += static_cast<unsigned>(r);
    submitting_ = 0;
    if (r <= 0) {
      int err = r < 0 ? errno : EAGAIN;
      std::lock_guard<std::mutex> lock(mu_);
      common_.FailErrno(err, "io_submit");
      Halt();
      break;
    }
    for (long i = 0; i < r; i++) reinterpret_cast<Slot *>(cbs[at + i]->aio_data)->busy = true;
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
