// What the stream pumps (AIO: stream_pump.h; read/write: copy_pump.h; DMABUF: dmabuf_pump.h)
// are given and keep: the endpoint, the stream's shape and pattern, the slot buffers (referenced,
// so JS cannot free memory the kernel still writes into), the tally, the first error and onDone.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stream_tally.h"

namespace ffslab {

struct PumpSlot {
  uint8_t *data = nullptr;
  size_t size = 0;
};

class PumpCommon {
 public:
  PumpCommon() = default;
  PumpCommon(const PumpCommon &) = delete;
  PumpCommon &operator=(const PumpCommon &) = delete;
  ~PumpCommon();
  // Parse {fd, write, slots, transferSize, totalBytes, transfers, maxPacketSize, pattern, onDone,
  // settleMs?, interruptOnStop?} (native/lib/bindings.ts NativeStreamPumpOptions). Slots inside a
  // mapping of this addon pin it (munmapBuffer defers the munmap) until Release(). On bad input: a
  // pending JS error, false.
  bool Parse(const Napi::CallbackInfo &info, const char *what, size_t max_slots);

  // Record the first error: a failed syscall or transfer (errno), or our own code (SHORT_WRITE).
  void FailErrno(int err, const char *syscall);
  void FailWith(const std::string &code, const std::string &message);
  // TRANSFERS_STUCK: `n` transfers still in flight settle_ms after the stop. Replaces an earlier
  // error, whose text it keeps in front.
  void FailStuck(unsigned n);
  // Check and count received transfer k. False when the stream must end: a wrong byte in a
  // packet-pattern stream (BAD_DATA; Gadget Zero's sink stops there too, see stream_tally.h).
  bool Receive(uint64_t k, const uint8_t *data, uint64_t n);
  bool failed() const { return err_ != 0 || !err_code_.empty(); }

  // onDone's argument {finished, errno?, syscall?, code?, message?}. Call with the pump's lock
  // held (the thread may still record an error), then CallDone without it (onDone may call tally()).
  Napi::Object DoneResult(Napi::Env env, uint64_t finished) const;
  // Call onDone(result) from the event loop.
  void CallDone(Napi::Value recv, Napi::Object result);
  // Drop the references to the slots, the pattern and onDone.
  void Release();

  int fd = -1;
  bool write = false;
  std::vector<PumpSlot> slots;
  std::unique_ptr<StreamTally> tally;
  // After a stop, how long transfers may take to settle before onDone reports them stuck (ms).
  uint64_t settle_ms = 2000;
  // Whether stop() interrupts the thread's blocking call (false only in tests).
  bool interrupt_on_stop = true;

 private:
  std::vector<Napi::ObjectReference> slot_refs_;
  std::vector<void *> pins_;  // mappings the slots lie in (mapped_buffer.h PinMapping)
  Napi::ObjectReference pattern_ref_;
  Napi::FunctionReference on_done_;
  int err_ = 0;
  std::string err_syscall_;
  std::string err_code_;
  std::string err_message_;
};

}  // namespace ffslab
