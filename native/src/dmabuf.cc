// DMABUF for FunctionFS (Linux 6.9+): udmabuf buffers from a sealed memfd, and the
// ATTACH/DETACH/TRANSFER ioctls on data endpoints (defined here: Debian 12's headers predate them).
#include <fcntl.h>
#include <linux/types.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "errno_error.h"
#include "ffs_native.h"
#include "mapped_buffer.h"

#ifndef FUNCTIONFS_DMABUF_ATTACH
struct usb_ffs_dmabuf_transfer_req {
  int fd;
  __u32 flags;
  __u64 length;
} __attribute__((packed));
#define FUNCTIONFS_DMABUF_ATTACH _IOW('g', 131, int)
#define FUNCTIONFS_DMABUF_DETACH _IOW('g', 132, int)
#define FUNCTIONFS_DMABUF_TRANSFER _IOW('g', 133, struct usb_ffs_dmabuf_transfer_req)
#endif

namespace ffslab {

// udmabufCreate(size) -> {fd: dma-buf fd, memfd, buffer: ArrayBuffer mapping the same pages}.
Napi::Value UdmabufCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  double size = info[0].ToNumber().DoubleValue();
  long page = sysconf(_SC_PAGESIZE);
  if (!(size > 0) || static_cast<long>(size) % page != 0) {
    ThrowErrno(env, EINVAL, "udmabufCreate", "(size must be a positive multiple of the page size)");
    return env.Undefined();
  }
  int memfd = memfd_create("ffs-lab-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (memfd < 0) {
    ThrowErrno(env, errno, "memfd_create");
    return env.Undefined();
  }
  auto fail = [&](const char *what) {
    int err = errno;
    close(memfd);
    ThrowErrno(env, err, what);
    return env.Undefined();
  };
  if (ftruncate(memfd, static_cast<off_t>(size)) < 0) return fail("ftruncate");
  if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) return fail("fcntl(F_ADD_SEALS)");
  int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
  if (dev < 0) return fail("open(/dev/udmabuf)");
  struct udmabuf_create create = {};
  create.memfd = static_cast<__u32>(memfd);
  create.flags = UDMABUF_FLAGS_CLOEXEC;
  create.offset = 0;
  create.size = static_cast<__u64>(size);
  int dmafd = ioctl(dev, UDMABUF_CREATE, &create);
  int err = errno;
  close(dev);
  if (dmafd < 0) {
    errno = err;
    return fail("ioctl(UDMABUF_CREATE)");
  }
  void *p = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (p == MAP_FAILED) {
    err = errno;
    close(dmafd);
    errno = err;
    return fail("mmap(memfd)");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", dmafd);
  out.Set("memfd", memfd);
  out.Set("buffer", WrapMapping(env, p, static_cast<size_t>(size)));
  return out;
}

namespace {

Napi::Value FdIoctl(const Napi::CallbackInfo &info, unsigned long req, const char *name) {
  int ep = info[0].ToNumber().Int32Value();
  int fd = info[1].ToNumber().Int32Value();
  if (ioctl(ep, req, &fd) < 0) {
    ThrowErrno(info.Env(), errno, name);
    return info.Env().Undefined();
  }
  return info.Env().Undefined();
}

}  // namespace

Napi::Value DmabufAttach(const Napi::CallbackInfo &info) { return FdIoctl(info, FUNCTIONFS_DMABUF_ATTACH, "ioctl(FUNCTIONFS_DMABUF_ATTACH)"); }
Napi::Value DmabufDetach(const Napi::CallbackInfo &info) { return FdIoctl(info, FUNCTIONFS_DMABUF_DETACH, "ioctl(FUNCTIONFS_DMABUF_DETACH)"); }

// dmabufTransfer(epFd, dmabufFd, length, flags = 0): queues the transfer; completion is a fence.
Napi::Value DmabufTransfer(const Napi::CallbackInfo &info) {
  struct usb_ffs_dmabuf_transfer_req req = {};
  req.fd = info[1].ToNumber().Int32Value();
  req.length = static_cast<__u64>(info[2].ToNumber().DoubleValue());
  req.flags = info.Length() > 3 ? info[3].ToNumber().Uint32Value() : 0;
  if (ioctl(info[0].ToNumber().Int32Value(), FUNCTIONFS_DMABUF_TRANSFER, &req) < 0) {
    ThrowErrno(info.Env(), errno, "ioctl(FUNCTIONFS_DMABUF_TRANSFER)");
    return info.Env().Undefined();
  }
  return info.Env().Undefined();
}

}  // namespace ffslab
