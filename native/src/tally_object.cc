#include "tally_object.h"

#include <algorithm>
#include <string>

#include "buffer_span.h"

namespace ffslab {

bool IsCount(double v, double max) { return v >= 0 && v <= max && v == static_cast<double>(static_cast<uint64_t>(v)); }

std::unique_ptr<StreamTally> ParseTally(Napi::Env env, Napi::Object o, const char *what) {
  Napi::Value pattern = o.Get("pattern");
  double size = o.Get("transferSize").ToNumber().DoubleValue();
  double total = o.Get("totalBytes").ToNumber().DoubleValue();
  double count = o.Get("transfers").ToNumber().DoubleValue();
  double mps = o.Get("maxPacketSize").ToNumber().DoubleValue();
  const double kMaxSafe = 9007199254740991.0;
  if (!pattern.IsBuffer() || pattern.As<Napi::Buffer<uint8_t>>().Length() == 0 || !IsCount(size, 1 << 30) || !IsCount(total, kMaxSafe) ||
      !IsCount(count, kMaxSafe) || !(mps >= 1 && mps <= 65535) ||
      (size > 0 && count != static_cast<double>((static_cast<uint64_t>(total) + static_cast<uint64_t>(size) - 1) / static_cast<uint64_t>(size)))) {
    Napi::TypeError::New(env, std::string(what) + ": bad stream shape (transferSize, totalBytes, transfers, maxPacketSize, pattern: non-empty Buffer)")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  StreamShape shape;
  shape.transfer_size = static_cast<uint64_t>(size);
  shape.total_bytes = static_cast<uint64_t>(total);
  shape.transfers = static_cast<uint64_t>(count);
  shape.max_packet_size = static_cast<uint32_t>(mps);
  Napi::Buffer<uint8_t> table = pattern.As<Napi::Buffer<uint8_t>>();
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
  double kv = info.Length() > 1 ? info[1].ToNumber().DoubleValue() : -1;
  double nv = with_count && info.Length() > 2 ? info[2].ToNumber().DoubleValue() : 0;
  if (!tally_ || !BufferSpan(info[0], &c->data, &c->len) || !(kv >= 0 && kv < static_cast<double>(tally_->shape().transfers)) || !(nv >= 0)) {
    Napi::TypeError::New(env, "Tally: (buffer, transfer index within the stream[, bytes moved])").ThrowAsJavaScriptException();
    return false;
  }
  c->k = static_cast<uint64_t>(kv);
  c->n = std::min<uint64_t>(static_cast<uint64_t>(nv), c->len);
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
