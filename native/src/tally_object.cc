#include "tally_object.h"

#include <algorithm>
#include <string>

#include "buffer_span.h"
#include "js_args.h"

namespace ffslab {

std::unique_ptr<StreamTally> ParseTally(Napi::Env env, Napi::Object o, const char *what) {
  Napi::Value pattern = o.Get("pattern");
  int64_t size, total, count, mps;
  if (!ArgInt(env, o.Get("transferSize"), what, "transferSize", 0, 1 << 30, &size) || !ArgInt(env, o.Get("totalBytes"), what, "totalBytes", 0, kMaxSafeInteger, &total) ||
      !ArgInt(env, o.Get("transfers"), what, "transfers", 0, kMaxSafeInteger, &count) || !ArgInt(env, o.Get("maxPacketSize"), what, "maxPacketSize", 1, 65535, &mps))
    return nullptr;
  if (!pattern.IsBuffer() || pattern.As<Napi::Buffer<uint8_t>>().Length() == 0 || (size > 0 && count != (total + size - 1) / size)) {
    Napi::TypeError::New(env, std::string(what) + ": bad stream shape (transfers must be ceil(totalBytes / transferSize); pattern: non-empty Buffer)").ThrowAsJavaScriptException();
    return nullptr;
  }
  StreamShape shape;
  shape.transfer_size = static_cast<uint64_t>(size);
  shape.total_bytes = static_cast<uint64_t>(total);
  shape.transfers = static_cast<uint64_t>(count);
  shape.max_packet_size = static_cast<uint32_t>(mps);
  shape.packet_pattern = o.Get("packetPattern").ToBoolean();
  Napi::Buffer<uint8_t> table = pattern.As<Napi::Buffer<uint8_t>>();
  if (shape.packet_pattern && (table.Length() != static_cast<size_t>(mps) || size == 0 || size % mps != 0)) {
    Napi::TypeError::New(env, std::string(what) + ": packetPattern needs a pattern of one packet (maxPacketSize bytes) and a transferSize that is a multiple of it")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  return std::make_unique<StreamTally>(shape, table.Data(), table.Length());
}

Napi::Function TallyObject::Init(Napi::Env env) {
  return DefineClass(env, "Tally",
                     {
                         InstanceMethod<&TallyObject::Fill>("fill"),
                         InstanceMethod<&TallyObject::Sent>("sent"),
                         InstanceMethod<&TallyObject::Received>("received"),
                         InstanceMethod<&TallyObject::Report>("report"),
                     });
}

TallyObject::TallyObject(const Napi::CallbackInfo &info) : Napi::ObjectWrap<TallyObject>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "Tally(shape: object)").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  tally_ = ParseTally(env, o, "Tally");
  if (tally_) pattern_ = Napi::Persistent(o.Get("pattern").As<Napi::Object>());
}

bool TallyObject::Args(const Napi::CallbackInfo &info, bool with_count, Call *c) {
  Napi::Env env = info.Env();
  if (!tally_) {
    Napi::Error::New(env, "Tally: not constructed").ThrowAsJavaScriptException();
    return false;
  }
  if (!BufferSpan(info[0], &c->data, &c->len)) {
    Napi::TypeError::New(env, "Tally: (buffer, transfer index within the stream[, bytes moved]): buffer must be an ArrayBuffer or a view").ThrowAsJavaScriptException();
    return false;
  }
  int64_t k, n = 0;
  double last = static_cast<double>(tally_->shape().transfers) - 1;
  if (last < 0) {
    Napi::RangeError::New(env, "Tally: the stream has no transfers: no transfer index is within it").ThrowAsJavaScriptException();
    return false;
  }
  if (!ArgInt(env, info[1], "Tally: transfer index within the stream", "k", 0, last, &k)) return false;
  if (with_count && !ArgInt(env, info[2], "Tally", "bytes moved (n)", 0, kMaxSafeInteger, &n)) return false;
  c->k = static_cast<uint64_t>(k);
  c->n = std::min<uint64_t>(static_cast<uint64_t>(n), c->len);
  return true;
}

// fill(buffer, k) -> bytes: the pattern bytes of transfer k at the buffer's start.
Napi::Value TallyObject::Fill(const Napi::CallbackInfo &info) {
  Call c;
  if (!Args(info, false, &c)) return info.Env().Undefined();
  uint64_t n = tally_->Expected(c.k);
  if (c.len < n) {
    Napi::RangeError::New(info.Env(), "Tally.fill: the buffer is shorter than the transfer").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  tally_->Fill(c.data, c.k);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// sent(buffer, k, n) -> undefined, or what was wrong ("transfer k: wrote n of m bytes").
Napi::Value TallyObject::Sent(const Napi::CallbackInfo &info) {
  Call c;
  if (!Args(info, true, &c)) return info.Env().Undefined();
  std::string error;
  if (tally_->Sent(c.k, c.data, c.n, &error)) return info.Env().Undefined();
  return Napi::String::New(info.Env(), error);
}

// received(buffer, k, n) -> false when a byte or the length was wrong (the first fault is kept).
Napi::Value TallyObject::Received(const Napi::CallbackInfo &info) {
  Call c;
  if (!Args(info, true, &c)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), tally_->Received(c.k, c.data, c.n));
}

// report() -> {bytes, transfers, crc, firstBadOffset, fault?, badTransfers}
Napi::Value TallyObject::Report(const Napi::CallbackInfo &info) {
  if (!tally_) return info.Env().Undefined();
  return tally_->ToJs(info.Env());
}

}  // namespace ffslab
