// The one checked conversion of a JavaScript number argument to the integer a syscall or the
// stream shape takes. Every numeric argument of the addon goes through it: a value that is not a
// number is a TypeError, NaN, +-Infinity, a fraction, or a value outside [min, max] a RangeError,
// each naming the function and the argument. Nothing is wrapped, truncated or coerced.
#pragma once
#include <napi.h>

#include <cstdint>

namespace ffslab {

// 2^53 - 1: the largest integer a JS number holds exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;
// The largest descriptor number (an int).
constexpr double kMaxFd = 2147483647.0;

// Whether `v` is a whole number in [min, max] (false for NaN, infinities, fractions).
bool IsWhole(double v, double min, double max);

// Convert `v` (argument or option `name` of `where`) into *out; false with a pending JS error.
bool ArgInt(Napi::Env env, Napi::Value v, const char *where, const char *name, double min, double max, int64_t *out);
// The same for an optional argument: `undefined` gives `fallback`.
bool ArgIntOr(Napi::Env env, Napi::Value v, const char *where, const char *name, double min, double max, int64_t fallback, int64_t *out);
// A descriptor: an integer 0..2^31-1.
bool ArgFd(Napi::Env env, Napi::Value v, const char *where, const char *name, int *out);

}  // namespace ffslab
