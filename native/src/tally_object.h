// StreamTally (stream_tally.h) as a JS object, for a stream end whose transfers are driven from
// JavaScript (the host runner's node usb streams): each transfer costs one call that fills, or
// checks, and folds into the CRC-32 in C++, instead of several Buffer operations in JS.
// Lifecycle: new Tally(shape) -> fill()/sent()/received() per transfer -> report().
#pragma once
#include <napi.h>

#include <memory>

#include "stream_tally.h"

namespace ffslab {

// Parse {transferSize, totalBytes, transfers, maxPacketSize, pattern: Buffer} of `o` into a
// tally (numbers through js_args.h). On bad input: a pending JS error naming `what`, and nullptr.
std::unique_ptr<StreamTally> ParseTally(Napi::Env env, Napi::Object o, const char *what);

class TallyObject : public Napi::ObjectWrap<TallyObject> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new Tally({transferSize, totalBytes, transfers, maxPacketSize, pattern})
  explicit TallyObject(const Napi::CallbackInfo &info);

 private:
  Napi::Value Fill(const Napi::CallbackInfo &info);
  Napi::Value Sent(const Napi::CallbackInfo &info);
  Napi::Value Received(const Napi::CallbackInfo &info);
  Napi::Value Report(const Napi::CallbackInfo &info);
  // One call's arguments: the bytes of info[0], transfer index info[1] and, `with_count`, the
  // bytes moved info[2] (at most the buffer's length).
  struct Call {
    uint8_t *data = nullptr;
    size_t len = 0;
    uint64_t k = 0;
    uint64_t n = 0;
  };
  // False (a JS error pending) on bad input.
  bool Args(const Napi::CallbackInfo &info, bool with_count, Call *c);

  std::unique_ptr<StreamTally> tally_;
  Napi::ObjectReference pattern_;  // the table the tally reads
};

}  // namespace ffslab
