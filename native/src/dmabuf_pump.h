// A whole source or sink stream over FunctionFS DMABUF (Linux 6.9+), run in C++ on node's event
// loop: each slot is a udmabuf attached to the endpoint; a transfer is FUNCTIONFS_DMABUF_TRANSFER
// of its exact length plus a sync_file of its fence; libuv polls the dma-buf (POLLOUT once its
// fences have signalled), the fence tells success from failure, and the slot is checked or
// accounted and sent on with the next transfer, without entering JavaScript. Stop dequeues
// what is pending by DETACH and ATTACH of its buffer, as DmabufIo.cancelAll() does.
// Lifecycle: new -> start() -> (stop()) -> onDone -> close().
#pragma once
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "pump_common.h"

namespace ffslab {

class DmabufPump : public Napi::ObjectWrap<DmabufPump> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new DmabufPump({...NativeStreamPumpOptions, dmabufFds: number[]}): slots[i] maps dmabufFds[i].
  explicit DmabufPump(const Napi::CallbackInfo &info);
  ~DmabufPump() override;

 private:
  struct Slot {
    DmabufPump *pump = nullptr;
    PumpSlot mem;
    int dmabuf_fd = -1;
    int sync_fd = -1;  // the fence of the transfer in flight; -1 without CONFIG_SYNC_FILE
    uv_poll_t *poll = nullptr;
    uint64_t k = 0;
    uint64_t length = 0;
    bool busy = false;
    bool done = false;
    int status = 0;  // 1 done; a negative errno when the fence carries one
  };

  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Tally(const Napi::CallbackInfo &info);

  static void OnWritable(uv_poll_t *handle, int status, int events);
  void Settle(Slot &s, int status);
  void Advance();
  bool Submit(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Halt();
  void MaybeDone();
  void ReleaseLoop();

  PumpCommon common_;
  std::vector<Slot> slots_;
  uint64_t next_ = 0;
  uint64_t turn_ = 0;
  unsigned in_flight_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace ffslab
