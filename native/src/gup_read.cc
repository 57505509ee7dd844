#include "gup_read.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>

#include "errno_error.h"
#include "js_args.h"

namespace ffslab {

namespace {

// The (arrayBuffer, offset, length) arguments of `name`: the range's first byte and length, or
// false with a JavaScript exception pending.
bool BufferRange(const Napi::CallbackInfo &info, const char *name, uint8_t **start, int64_t *length) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, std::string(name) + "(arrayBuffer, offset, length)").ThrowAsJavaScriptException();
    return false;
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  int64_t offset;
  const double size = static_cast<double>(ab.ByteLength());
  if (!ArgInt(env, info[1], name, "offset", 0, size, &offset) || !ArgInt(env, info[2], name, "length", 0, size - static_cast<double>(offset), length)) return false;
  *start = static_cast<uint8_t *>(ab.Data()) + offset;
  return true;
}

// Move bytes [0, length) of a file with `io(done)` (one pread or pwrite from byte `done` on),
// past short counts and EINTR; 0 or the errno (EIO when the file ends first).
template <typename Io>
int AllBytes(int64_t length, Io io) {
  for (int64_t done = 0; done < length;) {
    ssize_t n = io(done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += n;
  }
  return 0;
}

}  // namespace

Napi::Value ProcessVmRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint8_t *src;
  int64_t length;
  if (!BufferRange(info, "processVmRead", &src, &length)) return env.Undefined();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  struct iovec local = {out.Data(), static_cast<size_t>(length)};
  struct iovec remote = {src, static_cast<size_t>(length)};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n < 0) {
    ThrowErrno(env, errno, "process_vm_readv");
    return env.Undefined();
  }
  if (n != length) {
    ThrowErrno(env, EIO, "process_vm_readv", "(short read)");
    return env.Undefined();
  }
  return out;
}

Napi::Value VmspliceRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint8_t *src;
  int64_t length;
  if (!BufferRange(info, "vmspliceRead", &src, &length)) return env.Undefined();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    ThrowErrno(env, errno, "pipe2");
    return env.Undefined();
  }
  int64_t done = 0;
  int err = 0;
  const char *what = "vmsplice";
  // A pipe holds 64 KiB by default: splice a piece, drain it, repeat.
  while (done < length && err == 0) {
    struct iovec iov = {src + done, static_cast<size_t>(std::min<int64_t>(length - done, 65536))};
    ssize_t n = vmsplice(fds[1], &iov, 1, 0);
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) {
      err = EIO;
      break;
    }
    for (ssize_t got = 0; got < n;) {
      ssize_t r = read(fds[0], out.Data() + done + got, static_cast<size_t>(n - got));
      if (r <= 0) {
        err = r < 0 ? errno : EIO;
        what = "read from the pipe";
        break;
      }
      got += r;
    }
    done += n;
  }
  close(fds[0]);
  close(fds[1]);
  if (err != 0) {
    ThrowErrno(env, err, what);
    return env.Undefined();
  }
  return out;
}

Napi::Value DirectIoRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint8_t *src;
  int64_t length;
  if (!BufferRange(info, "directIoRead", &src, &length)) return env.Undefined();
  if (!info[3].IsString()) {
    Napi::TypeError::New(env, "directIoRead: dir must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // One name per call in this process; O_EXCL refuses a leftover of another process with this pid.
  static std::atomic<unsigned> serial{0};
  const std::string file = info[3].As<Napi::String>().Utf8Value() + "/.ffs-lab-odirect-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
  int wfd = open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
  if (wfd < 0) {
    ThrowErrno(env, errno, "open", "(O_DIRECT, in the directory given)");
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  const char *what = "write";
  const char *detail = "(O_DIRECT)";
  int err = AllBytes(length, [&](int64_t done) { return pwrite(wfd, src + done, static_cast<size_t>(length - done), done); });
  if (close(wfd) < 0 && err == 0) err = errno, what = "close";
  if (err == 0) {
    detail = "(reading the file back)";
    int rfd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) {
      err = errno, what = "open";
    } else {
      err = AllBytes(length, [&](int64_t done) { return pread(rfd, out.Data() + done, static_cast<size_t>(length - done), done); });
      what = "read";
      close(rfd);
    }
  }
  unlink(file.c_str());
  if (err != 0) {
    ThrowErrno(env, err, what, detail);
    return env.Undefined();
  }
  return out;
}

}  // namespace ffslab
