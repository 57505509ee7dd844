// mmap'ed memory exposed to JS as external ArrayBuffers without a copy. release() munmaps and
// detaches the ArrayBuffer, so JS can never touch unmapped memory; GC is only a safety net.
#pragma once
#include <napi.h>

#include <cstddef>

namespace ffslab {

// Wrap an existing mapping [addr, addr+len) as an ArrayBuffer owned by the registry.
Napi::ArrayBuffer WrapMapping(Napi::Env env, void *addr, size_t len);

// mmapFile(fd, length, {private?, offset?, prot?, tail?}) -> ArrayBuffer; prot is 'rw' (default),
// 'r', 'w' or 'none'; with tail, anonymous memory of that many bytes follows the (page-rounded)
// file mapping in the same ArrayBuffer.
Napi::Value MmapFile(const Napi::CallbackInfo &info);
// mmapAnonymous(length) -> ArrayBuffer of private anonymous memory (read-write), released with
// munmapBuffer like a file mapping, and protectable with mprotectBuffer (JS heap memory is not).
Napi::Value MmapAnonymous(const Napi::CallbackInfo &info);
// mprotectBuffer(arrayBuffer, prot): mprotect the whole mapping. The caller must not touch it
// from JS without the matching access (a fault kills the process).
Napi::Value MprotectBuffer(const Napi::CallbackInfo &info);
// Pin the mapping of this addon that holds [addr, addr+len) (a pump's slot): munmapBuffer and GC
// then only detach it, and the munmap follows the last UnpinMapping. nullptr when no mapping of
// ours holds the range. Either call from any thread.
void *PinMapping(const void *addr, size_t len);
void UnpinMapping(void *pin);
// munmapBuffer(arrayBuffer): detach, and munmap (deferred while a running pump's slots lie in
// it: see PinMapping); a second call is a no-op.
Napi::Value MunmapBuffer(const Napi::CallbackInfo &info);
// tryMremap(arrayBuffer, newLength) -> 0 when the kernel refused... see .cc; returns errno or 0.
Napi::Value TryMremap(const Napi::CallbackInfo &info);
// Number of live mappings made through this addon (leak checks).
Napi::Value LiveMappings(const Napi::CallbackInfo &info);

}  // namespace ffslab
