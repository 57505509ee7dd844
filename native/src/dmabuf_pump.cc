#include "dmabuf_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "dmabuf_ops.h"
#include "errno_error.h"
#include "js_args.h"

namespace ffslab {

namespace {

const char kTransfer[] = "ioctl(FUNCTIONFS_DMABUF_TRANSFER)";
// How long the thread waits for a fence before it looks at the stop flag again (ms).
constexpr int kStopPollMs = 50;
// After a halt, how long the thread waits for dequeued transfers' fences before it leaves them
// (ms): closing the endpoint file then detaches their buffers, and the kernel holds its own
// references to them, so nothing is freed under a transfer.
constexpr int kSettleMs = 5000;

}  // namespace

DmabufPump::DmabufPump(const Napi::CallbackInfo &info) : ThreadPump<DmabufPump>(info) {
  Napi::Env env = info.Env();
  if (!Setup(info, "DmabufPump", 1024)) return;
  Napi::Value fds = info[0].As<Napi::Object>().Get("dmabufFds");
  if (!fds.IsArray() || fds.As<Napi::Array>().Length() != common_.slots.size()) {
    Napi::TypeError::New(env, "DmabufPump: dmabufFds must hold one dma-buf fd per slot").ThrowAsJavaScriptException();
    return;
  }
  if (common_.tally->shape().transfer_size == 0) {
    Napi::RangeError::New(env, "DmabufPump: DMABUF cannot move zero-length transfers").ThrowAsJavaScriptException();
    return;
  }
  slots_.resize(common_.slots.size());
  for (size_t i = 0; i < slots_.size(); i++) {
    slots_[i].mem = common_.slots[i];
    int v;
    std::string name = "dmabufFds[" + std::to_string(i) + "]";
    if (!ArgFd(env, fds.As<Napi::Array>().Get(static_cast<uint32_t>(i)), "DmabufPump", name.c_str(), &v)) return;
    slots_[i].dmabuf_fd = fcntl(v, F_DUPFD_CLOEXEC, 0);
    if (slots_[i].dmabuf_fd < 0) {
      ThrowErrno(env, errno, "dup", "(dmabufFds)");
      return;
    }
  }
  fd_ = fcntl(common_.fd, F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) ThrowErrno(env, errno, "dup");
}

DmabufPump::~DmabufPump() { AfterRun(); }

void DmabufPump::AfterRun() {
  CloseFences();
  for (Slot &s : slots_) {
    if (s.dmabuf_fd >= 0) close(s.dmabuf_fd);
    s.dmabuf_fd = -1;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void DmabufPump::Run() {
  uint64_t transfers = common_.tally->shape().transfers;
  while (next_ < transfers && next_ < slots_.size()) {
    if (!Submit(slots_[next_ % slots_.size()], next_)) break;
    next_++;
  }
  std::chrono::steady_clock::time_point give_up{};
  while (in_flight_ > 0) {
    if (stop_ && !halted_) Halt();
    Slot *s = &slots_[turn_ % slots_.size()];
    if (halted_) {
      auto now = std::chrono::steady_clock::now();
      if (give_up == std::chrono::steady_clock::time_point{}) give_up = now + std::chrono::milliseconds(kSettleMs);
      if (now > give_up) break;
      // Only settling what is left: any busy slot will do.
      for (Slot &b : slots_)
        if (b.busy) s = &b;
    }
    if (!s->busy) break;  // a failed submission left the turn's slot idle
    int status = Wait(*s, kStopPollMs);
    if (status == 0) continue;
    Settle(*s);
    if (halted_) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Finish(*s, status);
      if (halted_) continue;
      turn_++;
      SetFinished(turn_);
    }
    // Outside the lock: Submit takes it to record a failure.
    if (next_ < transfers && Submit(*s, next_)) next_++;
  }
}

int DmabufPump::Wait(Slot &s, int ms) {
  // The dma-buf, not the sync_file: polling a sync_file hooks a callback under the fence's lock,
  // which f_fs before our patch 6 keeps in the attachment that DETACH frees.
  struct pollfd p = {s.dmabuf_fd, POLLOUT, 0};
  int r = poll(&p, 1, ms);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (r == 0) return 0;
  if (p.revents & (POLLERR | POLLNVAL)) return -EIO;
  if (s.sync_fd < 0) return 1;  // no sync_file: "every fence signalled" is all there is to know
  bool failed;
  return ReadSyncFileStatus(s.sync_fd, &failed);  // 0: woken before this transfer's fence signalled
}

void DmabufPump::Settle(Slot &s) {
  if (s.sync_fd >= 0) close(s.sync_fd);
  s.sync_fd = -1;
  s.busy = false;
  in_flight_--;
}

bool DmabufPump::Submit(Slot &s, uint64_t k) {
  const StreamTally &t = *common_.tally;
  s.k = k;
  s.length = t.Expected(k);  // no byte count on completion: post exactly the expected length
  if (common_.write) t.Fill(s.mem.data, k);
  if (DmabufTransferFd(fd_, s.dmabuf_fd, s.length, 0) < 0) {
    int err = errno;
    std::lock_guard<std::mutex> lock(mu_);
    common_.FailErrno(err, kTransfer);
    Halt();
    return false;
  }
  s.busy = true;
  in_flight_++;
  // Right after the ioctl: only unsignalled fences are exported (see DmabufTransferFenced).
  s.sync_fd = ExportSyncFile(s.dmabuf_fd, true);
  if (s.sync_fd < 0 && errno != ENOTTY) {
    int err = errno;
    std::lock_guard<std::mutex> lock(mu_);
    common_.FailErrno(err, "ioctl(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
    Halt();
    return false;
  }
  return true;
}

// Account transfer s.k (sender), or check and account it (receiver). Called with mu_ held.
void DmabufPump::Finish(Slot &s, int status) {
  if (status < 0) {
    common_.FailErrno(-status, kTransfer);
    Halt();
    return;
  }
  if (!common_.write) {
    if (!common_.Receive(s.k, s.mem.data, s.length)) Halt();
    return;
  }
  std::string error;
  if (!common_.tally->Sent(s.k, s.mem.data, s.length, &error)) {
    common_.FailWith("SHORT_WRITE", error);
    Halt();
  }
}

// No new transfers; dequeue what is pending (its fence then signals with an error). Runs on the thread.
void DmabufPump::Halt() {
  halted_ = true;
  for (Slot &s : slots_) {
    // Only what is still pending: after a UDC unbind every fence has signalled, so DETACH
    // (which oopses then on kernels without our patch 7) is not reached.
    if (!s.busy || Wait(s, 0) != 0) continue;
    if (DmabufDetachFd(fd_, s.dmabuf_fd) == 0) DmabufAttachFd(fd_, s.dmabuf_fd);
  }
}

void DmabufPump::CloseFences() {
  for (Slot &s : slots_) {
    if (s.sync_fd >= 0) close(s.sync_fd);
    s.sync_fd = -1;
    s.busy = false;
  }
  in_flight_ = 0;
}

}  // namespace ffslab
