// A user-space address in a 64-bit field of a kernel ABI (iocb.aio_buf and aio_data, a sync_file
// info's fence array): always through uintptr_t. GCC sign-extends a pointer converted straight to
// a wider integer, so in a 32-bit process (armhf on an arm64 kernel) an address above 2 GiB would
// reach the kernel as 0xffffffff'xxxxxxxx, and io_submit would fail with EFAULT.
#pragma once
#include <cstdint>

namespace ffslab {

inline uint64_t UserPtr(const void *p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

template <typename T>
T *FromUserPtr(uint64_t v) {
  return reinterpret_cast<T *>(static_cast<uintptr_t>(v));
}

}  // namespace ffslab
