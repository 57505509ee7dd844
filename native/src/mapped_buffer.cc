#include "mapped_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <unordered_map>

#include "errno_error.h"
#include "js_args.h"

namespace ffslab {

namespace {

struct Mapping {
  void *addr;
  size_t len;
  bool mapped;
  unsigned pins = 0;           // pumps whose slots lie in the range (PinMapping)
  bool unmap_pending = false;  // released while pinned: munmap at the last unpin
  bool finalized = false;      // the ArrayBuffer is gone: the last unpin deletes this
};

// Keyed by address. Finalizers run on the JS thread, but keep a lock anyway: cheap, and safe
// should several environments (worker threads) load the addon.
std::mutex registry_lock;
std::unordered_map<void *, Mapping *> registry;

// munmap now, with registry_lock held.
void Unmap(Mapping *m) {
  munmap(m->addr, m->len);
  m->mapped = false;
  m->unmap_pending = false;
  registry.erase(m->addr);
}

void Finalize(Napi::Env, void *, Mapping *m) {
  std::lock_guard<std::mutex> g(registry_lock);
  if (m->pins) {
    if (m->mapped) m->unmap_pending = true;
    m->finalized = true;
    return;
  }
  if (m->mapped) Unmap(m);
  delete m;
}

Mapping *Lookup(Napi::ArrayBuffer ab) {
  std::lock_guard<std::mutex> g(registry_lock);
  auto it = registry.find(ab.Data());
  return it == registry.end() ? nullptr : it->second;
}

// A protection name ("rw", "r", "w", "none") as PROT_* bits; false with a pending TypeError.
bool ArgProt(Napi::Env env, Napi::Value v, const char *where, int *out) {
  if (v.IsUndefined()) {
    *out = PROT_READ | PROT_WRITE;
    return true;
  }
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (s == "rw")
    *out = PROT_READ | PROT_WRITE;
  else if (s == "r")
    *out = PROT_READ;
  else if (s == "w")
    *out = PROT_WRITE;
  else if (s == "none")
    *out = PROT_NONE;
  else {
    Napi::TypeError::New(env, std::string(where) + ": prot must be 'rw', 'r', 'w' or 'none'").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

}  // namespace

void *PinMapping(const void *addr, size_t len) {
  if (!addr) return nullptr;
  auto a = reinterpret_cast<uintptr_t>(addr);
  std::lock_guard<std::mutex> g(registry_lock);
  for (auto &kv : registry) {
    Mapping *m = kv.second;
    auto base = reinterpret_cast<uintptr_t>(m->addr);
    if (m->mapped && a >= base && a - base < m->len && len <= m->len - (a - base)) {
      m->pins++;
      return m;
    }
  }
  return nullptr;
}

void UnpinMapping(void *pin) {
  auto *m = static_cast<Mapping *>(pin);
  std::lock_guard<std::mutex> g(registry_lock);
  if (--m->pins) return;
  if (m->unmap_pending) Unmap(m);
  if (m->finalized) delete m;
}

Napi::ArrayBuffer WrapMapping(Napi::Env env, void *addr, size_t len) {
  auto *m = new Mapping{addr, len, true};
  {
    std::lock_guard<std::mutex> g(registry_lock);
    registry[addr] = m;
  }
  return Napi::ArrayBuffer::New(env, addr, len, Finalize, m);
}

Napi::Value MmapFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t length, offset = 0, tail = 0;
  // Lengths up to 2^48 (the user address space of x86-64 and arm64): the kernel refuses what does
  // not fit with ENOMEM; a length past it is a RangeError here.
  const double kMaxLength = 281474976710656.0;
  if (!ArgFd(env, info[0], "mmapFile", "fd", &fd) || !ArgInt(env, info[1], "mmapFile", "length", 1, kMaxLength, &length)) return env.Undefined();
  bool priv = false;
  int prot = PROT_READ | PROT_WRITE;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsObject()) {
      Napi::TypeError::New(env, "mmapFile: options must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[2].As<Napi::Object>();
    priv = o.Get("private").ToBoolean();
    if (!ArgProt(env, o.Get("prot"), "mmapFile: options.prot", &prot) || !ArgIntOr(env, o.Get("offset"), "mmapFile", "options.offset", 0, kMaxSafeInteger, 0, &offset) ||
        !ArgIntOr(env, o.Get("tail"), "mmapFile", "options.tail", 0, kMaxLength, 0, &tail))
      return env.Undefined();
  }
  int flags = priv ? MAP_PRIVATE : MAP_SHARED;
  if (tail == 0) {
    void *p = mmap(nullptr, static_cast<size_t>(length), prot, flags, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
      ThrowErrno(env, errno, "mmap");
      return env.Undefined();
    }
    return WrapMapping(env, p, static_cast<size_t>(length));
  }
  // With a tail: the file mapping (page-rounded) is followed by `tail` bytes of anonymous memory,
  // all in one ArrayBuffer, so a buffer can straddle the end of the file mapping. Reserve the
  // whole range anonymously, then map the file over its start.
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t file_len = (static_cast<size_t>(length) + page - 1) / page * page;
  size_t total = file_len + static_cast<size_t>(tail);
  void *base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    ThrowErrno(env, errno, "mmap", "(anonymous reservation)");
    return env.Undefined();
  }
  void *p = mmap(base, file_len, prot, flags | MAP_FIXED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    int err = errno;
    munmap(base, total);
    ThrowErrno(env, err, "mmap");
    return env.Undefined();
  }
  return WrapMapping(env, base, total);
}

Napi::Value MmapAnonymous(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t length;
  if (!ArgInt(env, info[0], "mmapAnonymous", "length", 1, 281474976710656.0, &length)) return env.Undefined();
  void *p = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    ThrowErrno(env, errno, "mmap", "(anonymous)");
    return env.Undefined();
  }
  return WrapMapping(env, p, static_cast<size_t>(length));
}

Napi::Value MprotectBuffer(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "mprotectBuffer(arrayBuffer, prot)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  int prot;
  if (!ArgProt(env, info[1], "mprotectBuffer", &prot)) return env.Undefined();
  Mapping *m = ab.IsDetached() ? nullptr : Lookup(ab);
  if (!m) {
    Napi::Error::New(env, "mprotectBuffer: not a live buffer mapped by this addon").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // An optional page-aligned range splits the mapping's VMA, as a partial mprotect does.
  int64_t offset;
  int64_t length;
  const double len = static_cast<double>(m->len);
  if (!ArgIntOr(env, info[2], "mprotectBuffer", "offset", 0, len, 0, &offset) ||
      !ArgIntOr(env, info[3], "mprotectBuffer", "length", 1, len, static_cast<int64_t>(m->len) - offset, &length))
    return env.Undefined();
  const int64_t page = sysconf(_SC_PAGESIZE);
  if (offset % page != 0 || offset + length > static_cast<int64_t>(m->len) || length <= 0) {
    Napi::RangeError::New(env, "mprotectBuffer: offset must be page-aligned and offset + length within the mapping").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (mprotect(static_cast<char *>(m->addr) + offset, static_cast<size_t>(length), prot) != 0) ThrowErrno(env, errno, "mprotect");
  return env.Undefined();
}

Napi::Value MunmapBuffer(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "munmapBuffer(arrayBuffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.IsDetached()) return env.Undefined();
  Mapping *m = Lookup(ab);
  if (!m) {
    Napi::Error::New(env, "munmapBuffer: not a buffer mapped by this addon").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Detach first: from here on JS sees a zero-length buffer, never the unmapped range.
  ab.Detach();
  std::lock_guard<std::mutex> g(registry_lock);
  if (m->pins) {
    // A pump's thread still reads or writes the range: unmapped when its last pump lets go.
    m->unmap_pending = true;
    return env.Undefined();
  }
  if (munmap(m->addr, m->len) != 0) {
    ThrowErrno(env, errno, "munmap");
    return env.Undefined();
  }
  m->mapped = false;
  registry.erase(m->addr);
  return env.Undefined();
}

// Try to grow/move a mapping with mremap(MREMAP_MAYMOVE); with newLength equal to the current
// length, move it to a new address (MREMAP_FIXED). Our kernel refuses (returns the errno).
// A kernel that allows it moved the mapping: that is a hazard finding; the moved range is
// unmapped at once and the buffer detached, so JS never sees a stale range.
Napi::Value TryMremap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "tryMremap(arrayBuffer, newLength)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  int64_t new_len_i;
  if (!ArgInt(env, info[1], "tryMremap", "newLength", 1, 281474976710656.0, &new_len_i)) return env.Undefined();
  size_t new_len = static_cast<size_t>(new_len_i);
  Mapping *m = ab.IsDetached() ? nullptr : Lookup(ab);
  if (!m) {
    Napi::Error::New(env, "tryMremap: not a live buffer mapped by this addon").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (m->pins) {
    ThrowErrno(env, EBUSY, "mremap", "(a running stream pump's slots lie in this mapping)");
    return env.Undefined();
  }
  void *p;
  if (new_len == m->len) {
    // Same size: force a move (MREMAP_FIXED) to a fresh reserved range, the case a kernel that
    // finds buffers by address must refuse; a plain MAYMOVE of the same size never moves.
    void *dest = mmap(nullptr, new_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (dest == MAP_FAILED) return Napi::Number::New(env, errno);
    p = mremap(m->addr, m->len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
    if (p == MAP_FAILED) {
      int err = errno;
      munmap(dest, new_len);
      return Napi::Number::New(env, err);
    }
  } else {
    p = mremap(m->addr, m->len, new_len, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return Napi::Number::New(env, errno);
  }
  ab.Detach();
  std::lock_guard<std::mutex> g(registry_lock);
  munmap(p, new_len);
  m->mapped = false;
  registry.erase(m->addr);
  return Napi::Number::New(env, 0);
}

Napi::Value LiveMappings(const Napi::CallbackInfo &info) {
  std::lock_guard<std::mutex> g(registry_lock);
  return Napi::Number::New(info.Env(), static_cast<double>(registry.size()));
}

}  // namespace ffslab
