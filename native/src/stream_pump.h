// A whole source or sink stream over Linux AIO, run in C++ on node's event loop. Completions
// arrive on an eventfd that libuv polls; each is accounted (source) or checked against the
// pattern (sink), folded into the CRC-32, and its slot resubmitted for the next transfer, in one
// io_submit per wake-up, without entering JavaScript. JS starts it, may read the tally at any
// time, may stop it, and hears once, at the end (onDone).
#pragma once
#include <linux/aio_abi.h>
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ffslab {

class StreamPump : public Napi::ObjectWrap<StreamPump> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new StreamPump({fd, write, slots, transferSize, totalBytes, transfers, maxPacketSize,
  //                 seed, pattern, onDone(result)}): see native/lib/stream-pump.ts.
  explicit StreamPump(const Napi::CallbackInfo &info);
  ~StreamPump() override;

 private:
  struct Slot {
    struct iocb cb;
    uint8_t *data = nullptr;
    size_t size = 0;
    uint64_t k = 0;  // the transfer this slot carries now
    bool busy = false;
    bool done = false;
    int64_t res = 0;
  };

  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value Tally(const Napi::CallbackInfo &info);

  static void OnReadable(uv_poll_t *handle, int status, int events);
  void Drain();
  void Prepare(Slot &s, uint64_t k);
  void Finish(Slot &s);
  void Submit(std::vector<struct iocb *> &cbs);
  void Fail(int err, const char *syscall);
  void FailWith(const std::string &code, const std::string &message);
  void CancelAll();
  void MaybeDone();
  void ReleaseLoop();
  uint64_t ExpectedLength(uint64_t k) const;
  long Verify(const uint8_t *buf, size_t len, uint64_t offset) const;
  void FillPattern(uint8_t *buf, size_t len, uint64_t offset) const;

  aio_context_t ctx_ = 0;
  int efd_ = -1;
  uv_poll_t *poll_ = nullptr;
  bool write_ = false;
  uint64_t transfer_size_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t transfers_ = 0;
  uint32_t mps_ = 0;
  std::vector<Slot> slots_;
  std::vector<Napi::ObjectReference> slot_refs_;
  Napi::ObjectReference pattern_ref_;
  const uint8_t *pattern_ = nullptr;
  size_t period_ = 0;
  Napi::FunctionReference on_done_;

  uint64_t next_ = 0;  // next transfer to submit
  uint64_t turn_ = 0;  // next transfer to finish (in stream order)
  unsigned in_flight_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool closed_ = false;

  // Tally, as gadget-agent/src/stream-tally.ts keeps it.
  uint64_t bytes_ = 0;
  uint64_t counted_ = 0;
  uint32_t crc_ = 0;
  int64_t first_bad_ = -1;
  std::string fault_;
  uint64_t bad_transfers_ = 0;

  // The first error: an errno (with its syscall) or our own code.
  int err_ = 0;
  std::string err_syscall_;
  std::string err_code_;
  std::string err_message_;
};

}  // namespace ffslab
