#include "dmabuf_pump.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "dmabuf_ops.h"

namespace ffslab {

namespace {

const char kTransfer[] = "ioctl(FUNCTIONFS_DMABUF_TRANSFER)";

}  // namespace

Napi::Function DmabufPump::Init(Napi::Env env) {
  return DefineClass(env, "DmabufPump",
                     {
                         InstanceMethod<&DmabufPump::Start>("start"),
                         InstanceMethod<&DmabufPump::Stop>("stop"),
                         InstanceMethod<&DmabufPump::Close>("close"),
                         InstanceMethod<&DmabufPump::Tally>("tally"),
                     });
}

DmabufPump::DmabufPump(const Napi::CallbackInfo &info) : Napi::ObjectWrap<DmabufPump>(info) {
  Napi::Env env = info.Env();
  if (!common_.Parse(info, "DmabufPump", 1024)) return;
  Napi::Value fds = info[0].As<Napi::Object>().Get("dmabufFds");
  if (!fds.IsArray() || fds.As<Napi::Array>().Length() != common_.slots.size()) {
    Napi::TypeError::New(env, "DmabufPump: dmabufFds must hold one dma-buf fd per slot").ThrowAsJavaScriptException();
    return;
  }
  if (common_.tally->shape().transfer_size == 0) {
    Napi::RangeError::New(env, "DmabufPump: DMABUF cannot move zero-length transfers").ThrowAsJavaScriptException();
    return;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  slots_.resize(common_.slots.size());
  for (size_t i = 0; i < slots_.size(); i++) {
    Slot &s = slots_[i];
    s.pump = this;
    s.mem = common_.slots[i];
    s.dmabuf_fd = fds.As<Napi::Array>().Get(static_cast<uint32_t>(i)).ToNumber().Int32Value();
    s.poll = new uv_poll_t;
    if (uv_poll_init(loop, s.poll, s.dmabuf_fd) != 0) {
      delete s.poll;
      s.poll = nullptr;
      ReleaseLoop();
      Napi::Error::New(env, "DmabufPump: cannot poll a dma-buf fd").ThrowAsJavaScriptException();
      return;
    }
    s.poll->data = &s;
  }
}

DmabufPump::~DmabufPump() {
  // A running pump pins itself, so only an idle (finished or never started) one gets here.
  if (!closed_) ReleaseLoop();
}

Napi::Value DmabufPump::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (started_ || closed_ || slots_.empty() || !slots_[0].poll) {
    Napi::Error::New(env, "DmabufPump: start() once, before close()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  started_ = true;
  Ref();
  uint64_t transfers = common_.tally->shape().transfers;
  while (!stopping_ && next_ < transfers && next_ < slots_.size()) {
    Slot &s = slots_[next_ % slots_.size()];
    if (!Submit(s, next_++)) break;
  }
  MaybeDone();
  return env.Undefined();
}

Napi::Value DmabufPump::Stop(const Napi::CallbackInfo &info) {
  if (started_ && !finished_) {
    Halt();
    MaybeDone();
  }
  return info.Env().Undefined();
}

// close(): stop polling and drop the fences. The caller closes the endpoint file next, which
// dequeues and detaches whatever is still in flight.
Napi::Value DmabufPump::Close(const Napi::CallbackInfo &info) {
  if (closed_) return info.Env().Undefined();
  closed_ = true;
  in_flight_ = 0;
  if (started_ && !finished_) {
    finished_ = true;
    Unref();
  }
  ReleaseLoop();
  common_.Release();
  return info.Env().Undefined();
}

Napi::Value DmabufPump::Tally(const Napi::CallbackInfo &info) {
  Napi::Object t = common_.tally->ToJs(info.Env());
  t.Set("inFlight", static_cast<double>(in_flight_));
  return t;
}

void DmabufPump::OnWritable(uv_poll_t *handle, int status, int events) {
  Slot &s = *static_cast<Slot *>(handle->data);
  DmabufPump *self = s.pump;
  Napi::HandleScope scope(self->Env());
  if (!s.busy) return;
  if (status < 0) {
    self->Settle(s, -EIO);
  } else if (s.sync_fd < 0) {
    self->Settle(s, 1);  // no sync_file: "every fence signalled" is all there is to know
  } else {
    bool failed;
    int st = ReadSyncFileStatus(s.sync_fd, &failed);
    if (st == 0) return;  // woken before this transfer's fence signalled
    self->Settle(s, st);
  }
  self->Advance();
}

void DmabufPump::Settle(Slot &s, int status) {
  uv_poll_stop(s.poll);
  if (s.sync_fd >= 0) close(s.sync_fd);
  s.sync_fd = -1;
  s.busy = false;
  s.done = true;
  s.status = status;
  in_flight_--;
}

// Finish completed transfers in stream order and send each slot on with the next transfer.
void DmabufPump::Advance() {
  uint64_t transfers = common_.tally->shape().transfers;
  while (!stopping_ && turn_ < transfers) {
    Slot &s = slots_[turn_ % slots_.size()];
    if (!s.done || s.k != turn_) break;
    s.done = false;
    Finish(s);
    if (stopping_) break;
    turn_++;
    if (next_ < transfers && !Submit(s, next_++)) break;
  }
  MaybeDone();
}

bool DmabufPump::Submit(Slot &s, uint64_t k) {
  const StreamTally &t = *common_.tally;
  s.k = k;
  s.length = t.Expected(k);  // no byte count on completion: post exactly the expected length
  s.done = false;
  if (common_.write) t.Fill(s.mem.data, k);
  if (DmabufTransferFd(common_.fd, s.dmabuf_fd, s.length, 0) < 0) {
    common_.FailErrno(errno, kTransfer);
    Halt();
    return false;
  }
  // Right after the ioctl: only unsignalled fences are exported (see DmabufTransferFenced).
  s.sync_fd = ExportSyncFile(s.dmabuf_fd, true);
  if (s.sync_fd < 0 && errno != ENOTTY) {
    s.busy = true;
    in_flight_++;
    common_.FailErrno(errno, "ioctl(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
    Halt();
    uv_poll_start(s.poll, UV_WRITABLE, OnWritable);
    return false;
  }
  s.busy = true;
  in_flight_++;
  uv_poll_start(s.poll, UV_WRITABLE, OnWritable);
  return true;
}

void DmabufPump::Finish(Slot &s) {
  if (s.status < 0) {
    common_.FailErrno(-s.status, kTransfer);
    Halt();
    return;
  }
  if (!common_.write) {
    common_.tally->Received(s.k, s.mem.data, s.length);
    return;
  }
  std::string error;
  if (!common_.tally->Sent(s.k, s.mem.data, s.length, &error)) {
    common_.FailWith("SHORT_WRITE", error);
    Halt();
  }
}

// No new transfers; dequeue what is pending (its fence then signals with an error).
void DmabufPump::Halt() {
  stopping_ = true;
  for (Slot &s : slots_) {
    if (!s.busy || s.sync_fd < 0) continue;
    bool failed;
    if (ReadSyncFileStatus(s.sync_fd, &failed) != 0) continue;
    // After a UDC unbind every fence has signalled, so DETACH (which must not run then) is not reached.
    if (DmabufDetachFd(common_.fd, s.dmabuf_fd) == 0) DmabufAttachFd(common_.fd, s.dmabuf_fd);
  }
}

void DmabufPump::MaybeDone() {
  if (finished_ || in_flight_ != 0 || (!stopping_ && turn_ < common_.tally->shape().transfers)) return;
  finished_ = true;
  Unref();
  common_.CallDone(Env(), Value(), turn_);
}

void DmabufPump::ReleaseLoop() {
  for (Slot &s : slots_) {
    if (s.sync_fd >= 0) close(s.sync_fd);
    s.sync_fd = -1;
    s.busy = false;
    if (s.poll) {
      uv_poll_stop(s.poll);
      uv_close(reinterpret_cast<uv_handle_t *>(s.poll), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
      s.poll = nullptr;
    }
  }
}

}  // namespace ffslab
