// Reading memory the way the kernel's get_user_pages() path does, for checks that a mapping is
// made of ordinary pages (a PFN mapping refuses it with EFAULT): process_vm_readv, vmsplice and
// an O_DIRECT write.
#pragma once
#include <napi.h>

namespace ffslab {

// processVmRead(arrayBuffer, offset, length) -> Buffer: the bytes, copied by process_vm_readv(2)
// on this process (which pins the source pages with get_user_pages); throws the errno.
Napi::Value ProcessVmRead(const Napi::CallbackInfo &info);

// vmspliceRead(arrayBuffer, offset, length) -> Buffer: the bytes, spliced into a pipe by
// vmsplice(2) (which takes references on the source pages with get_user_pages) and read back;
// throws the errno.
Napi::Value VmspliceRead(const Napi::CallbackInfo &info);

// directIoRead(arrayBuffer, offset, length, dir) -> Buffer: the bytes, written from the range
// into a new file in `dir` opened O_DIRECT (a file system that does direct I/O pins the source
// pages with get_user_pages; tmpfs copies instead), read back without O_DIRECT; the file is
// removed in every case. O_DIRECT's alignment is the caller's: a block file system wants the
// range's start and length in whole logical blocks (EINVAL otherwise). Throws the errno.
Napi::Value DirectIoRead(const Napi::CallbackInfo &info);

}  // namespace ffslab
