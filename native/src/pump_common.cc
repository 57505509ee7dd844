#include "pump_common.h"

#include <signal.h>

#include <cstring>

#include "buffer_span.h"
#include "js_args.h"
#include "mapped_buffer.h"
#include "tally_object.h"

namespace ffslab {

int PumpWakeSignal() {
  static const int sig = [] {
    int s = SIGRTMIN + 3;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = [](int) {};  // only to make the blocking call return EINTR
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    sigaction(s, &sa, nullptr);
    return s;
  }();
  return sig;
}

bool PumpCommon::Parse(const Napi::CallbackInfo &info, const char *what, size_t max_slots) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, std::string(what) + "(options: object)").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value list = o.Get("slots");
  Napi::Value done = o.Get("onDone");
  if (!ArgFd(env, o.Get("fd"), what, "fd", &fd)) return false;
  if (!list.IsArray() || !done.IsFunction()) {
    Napi::TypeError::New(env, std::string(what) + ": bad options (fd, write, slots[], onDone, and the stream's shape)").ThrowAsJavaScriptException();
    return false;
  }
  tally = ParseTally(env, o, what);
  if (!tally) return false;
  write = o.Get("write").ToBoolean();
  Napi::Array array = list.As<Napi::Array>();
  uint32_t n = array.Length();
  if (n < 1 || n > max_slots) {
    Napi::RangeError::New(env, std::string(what) + ": 1.." + std::to_string(max_slots) + " slots").ThrowAsJavaScriptException();
    return false;
  }
  uint64_t need = tally->SlotBytes(!write);
  slots.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = array.Get(i);
    if (!BufferSpan(v, &slots[i].data, &slots[i].size) || (slots[i].data == nullptr && need > 0) || slots[i].size < need) {
      Napi::RangeError::New(env, std::string(what) + ": every slot must be a live buffer of at least the largest transfer").ThrowAsJavaScriptException();
      return false;
    }
    slot_refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Value interrupt = o.Get("interruptOnStop");
  int64_t settle;
  if (!ArgIntOr(env, o.Get("settleMs"), what, "settleMs", 0, 600000, 2000, &settle)) return false;
  settle_ms = static_cast<uint64_t>(settle);
  if (!interrupt.IsUndefined()) interrupt_on_stop = interrupt.ToBoolean();
  for (const PumpSlot &s : slots)
    if (void *pin = PinMapping(s.data, s.size)) pins_.push_back(pin);
  pattern_ref_ = Napi::Persistent(o.Get("pattern").As<Napi::Object>());
  on_done_ = Napi::Persistent(done.As<Napi::Function>());
  return true;
}

void PumpCommon::FailErrno(int err, const char *syscall) {
  if (failed()) return;
  err_ = err;
  err_syscall_ = syscall;
}

void PumpCommon::FailWith(const std::string &code, const std::string &message) {
  if (failed()) return;
  err_code_ = code;
  err_message_ = message;
}

bool PumpCommon::Receive(uint64_t k, const uint8_t *data, uint64_t n) {
  if (tally->Received(k, data, n) || !tally->shape().packet_pattern) return true;
  FailWith("BAD_DATA", "received " + tally->fault());
  return false;
}

void PumpCommon::FailStuck(unsigned n) {
  std::string before = err_ ? std::string(err_syscall_) + ": " + strerror(err_) : err_message_;
  err_ = 0;
  err_code_ = "TRANSFERS_STUCK";
  err_message_ = std::to_string(n) + " transfer(s) did not complete within " + std::to_string(settle_ms) + " ms after cancel";
  if (!before.empty()) err_message_ = before + "; " + err_message_;
}

Napi::Object PumpCommon::DoneResult(Napi::Env env, uint64_t finished) const {
  Napi::Object result = Napi::Object::New(env);
  result.Set("finished", static_cast<double>(finished));
  if (err_) {
    result.Set("errno", -err_);
    result.Set("syscall", err_syscall_);
  } else if (!err_code_.empty()) {
    result.Set("code", err_code_);
    result.Set("message", err_message_);
  }
  return result;
}

void PumpCommon::CallDone(Napi::Value recv, Napi::Object result) {
  if (!on_done_.IsEmpty()) on_done_.MakeCallback(recv, {result});
}

PumpCommon::~PumpCommon() {
  for (void *pin : pins_) UnpinMapping(pin);
}

void PumpCommon::Release() {
  for (auto &r : slot_refs_) r.Reset();
  slot_refs_.clear();
  pattern_ref_.Reset();
  on_done_.Reset();
  for (void *pin : pins_) UnpinMapping(pin);
  pins_.clear();
}

}  // namespace ffslab
