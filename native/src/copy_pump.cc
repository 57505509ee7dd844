#include "copy_pump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errno_error.h"

namespace ffslab {

CopyPump::CopyPump(const Napi::CallbackInfo &info) : ThreadPump<CopyPump>(info) {
  if (!Setup(info, "CopyPump", 1)) return;
  fd_ = fcntl(common_.fd, F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) ThrowErrno(info.Env(), errno, "dup");
}

CopyPump::~CopyPump() {
  // A running pump pins itself, so the thread has ended (or never started) here.
  AfterRun();
}

void CopyPump::AfterRun() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// EAGAIN on an O_NONBLOCK endpoint file means the endpoint is disabled (no ENABLE since the host
// deconfigured or the UDC went away), where a blocking one would wait for the next ENABLE and go
// on with the next bind's host. It also means a moment's contention for f_fs's per-endpoint
// mutex: retry within kDisabledGraceMs before calling the endpoint disabled.
constexpr int kDisabledGraceMs = 100;
constexpr int kRetryUs = 2000;

void CopyPump::Run() {
  StreamTally &t = *common_.tally;
  PumpSlot slot = common_.slots[0];
  uint64_t transfers = t.shape().transfers;
  for (uint64_t k = 0; k < transfers && !stop_; k++) {
    if (common_.write) t.Fill(slot.data, k);
    ssize_t n;
    int again = 0;
    for (;;) {
      n = common_.write ? write(fd_, slot.data, t.Expected(k)) : read(fd_, slot.data, t.PostLength(k));
      if (n >= 0 || stop_) break;
      // f_fs ends a blocking read with EINTR on any signal, even SIGSTOP/SIGCONT; the data is
      // still queued then, so read again, as CopyIo does.
      if (errno == EINTR && !common_.write) continue;
      if (errno != EAGAIN || ++again * kRetryUs > kDisabledGraceMs * 1000) break;
      usleep(kRetryUs);
    }
    int err = n < 0 ? errno : 0;
    const char *call = common_.write ? "write" : "read";
    std::lock_guard<std::mutex> lock(mu_);
    if (n < 0 && err == EAGAIN) {
      common_.FailWith("EAGAIN", std::string(call) + ": EAGAIN: the endpoint is disabled (the host deconfigured the function, or its UDC went away)");
      break;
    }
    if (n < 0) {
      common_.FailErrno(err, call);
      break;
    }
    if (!common_.write) {
      if (!common_.Receive(k, slot.data, static_cast<uint64_t>(n))) break;
    } else {
      std::string error;
      if (!t.Sent(k, slot.data, static_cast<uint64_t>(n), &error)) {
        common_.FailWith("SHORT_WRITE", error);
        break;
      }
    }
    SetFinished(k + 1);
  }
}

}  // namespace ffslab
