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
  if (fd_ >= 0 && !started_) close(fd_);
}

void CopyPump::Run() {
  StreamTally &t = *common_.tally;
  PumpSlot slot = common_.slots[0];
  uint64_t transfers = t.shape().transfers;
  for (uint64_t k = 0; k < transfers && !stop_; k++) {
    ssize_t n;
    if (common_.write) {
      t.Fill(slot.data, k);
      n = write(fd_, slot.data, t.Expected(k));
    } else {
      // f_fs ends a blocking read with EINTR on any signal, even SIGSTOP/SIGCONT; the data
      // is still queued then, so read again, as CopyIo does.
      do {
        n = read(fd_, slot.data, t.PostLength(k));
      } while (n < 0 && errno == EINTR && !stop_);
    }
    int err = n < 0 ? errno : 0;
    std::lock_guard<std::mutex> lock(mu_);
    if (n < 0) {
      common_.FailErrno(err, common_.write ? "write" : "read");
      break;
    }
    if (!common_.write) {
      t.Received(k, slot.data, static_cast<uint64_t>(n));
    } else {
      std::string error;
      if (!t.Sent(k, slot.data, static_cast<uint64_t>(n), &error)) {
        common_.FailWith("SHORT_WRITE", error);
        break;
      }
    }
    SetFinished(k + 1);
  }
  close(fd_);
}

}  // namespace ffslab
