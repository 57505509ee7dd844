// The memory behind a JS ArrayBuffer or view, for handing to the kernel.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace ffslab {

// Resolve an ArrayBuffer, TypedArray or DataView to its bytes; false for anything else. A
// detached buffer (a released mapping) yields data == nullptr and len == 0.
bool BufferSpan(Napi::Value v, uint8_t **data, size_t *len);

}  // namespace ffslab
