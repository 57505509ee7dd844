// DMABUF for FunctionFS (Linux 6.9+): udmabuf buffers from a sealed memfd, and the
// ATTACH/DETACH/TRANSFER ioctls on data endpoints (defined here: Debian 12's headers predate them).
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "dmabuf_ops.h"
#include "errno_error.h"
#include "ffs_native.h"
#include "js_args.h"
#include "mapped_buffer.h"
#include "user_ptr.h"

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
  int64_t size;
  long page = sysconf(_SC_PAGESIZE);
  if (!ArgInt(env, info[0], "udmabufCreate", "size", 1, 281474976710656.0, &size)) return env.Undefined();
  if (size % page != 0) {
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

int DmabufAttachFd(int ep_fd, int dmabuf_fd) { return ioctl(ep_fd, FUNCTIONFS_DMABUF_ATTACH, &dmabuf_fd); }

int DmabufDetachFd(int ep_fd, int dmabuf_fd) { return ioctl(ep_fd, FUNCTIONFS_DMABUF_DETACH, &dmabuf_fd); }

int DmabufTransferFd(int ep_fd, int dmabuf_fd, uint64_t length, uint32_t flags) {
  struct usb_ffs_dmabuf_transfer_req req = {};
  req.fd = dmabuf_fd;
  req.flags = flags;
  req.length = length;
  return ioctl(ep_fd, FUNCTIONFS_DMABUF_TRANSFER, &req);
}

namespace {

Napi::Value FdIoctl(const Napi::CallbackInfo &info, int (*op)(int, int), const char *name) {
  int ep, buf;
  if (!ArgFd(info.Env(), info[0], name, "epFd", &ep) || !ArgFd(info.Env(), info[1], name, "dmabufFd", &buf)) return info.Env().Undefined();
  if (op(ep, buf) < 0) {
    ThrowErrno(info.Env(), errno, name);
    return info.Env().Undefined();
  }
  return info.Env().Undefined();
}

}  // namespace

Napi::Value DmabufAttach(const Napi::CallbackInfo &info) { return FdIoctl(info, DmabufAttachFd, "ioctl(FUNCTIONFS_DMABUF_ATTACH)"); }
Napi::Value DmabufDetach(const Napi::CallbackInfo &info) { return FdIoctl(info, DmabufDetachFd, "ioctl(FUNCTIONFS_DMABUF_DETACH)"); }

namespace {

// The request from JS arguments (epFd, dmabufFd, length, flags = 0); false (and a JS exception)
// when an argument cannot be represented, so nothing undefined reaches the kernel.
bool TransferRequest(const Napi::CallbackInfo &info, int *ep_fd, struct usb_ffs_dmabuf_transfer_req *req) {
  Napi::Env env = info.Env();
  const char *fn = "dmabufTransfer";
  int buf;
  int64_t length, flags;
  // Any length in 0..2^53-1 and any u32 flags go through, so the kernel's own checks are testable.
  if (!ArgFd(env, info[0], fn, "epFd", ep_fd) || !ArgFd(env, info[1], fn, "dmabufFd", &buf) || !ArgInt(env, info[2], fn, "length", 0, kMaxSafeInteger, &length) ||
      !ArgIntOr(env, info[3], fn, "flags", 0, 4294967295.0, 0, &flags))
    return false;
  *req = {};
  req->fd = buf;
  req->length = static_cast<__u64>(length);
  req->flags = static_cast<__u32>(flags);
  return true;
}

}  // namespace

int ExportSyncFile(int dmabuf_fd, bool all) {
  struct dma_buf_export_sync_file arg = {};
  arg.flags = all ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
  arg.fd = -1;
  if (ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg) < 0) return -1;
  return arg.fd;
}

// dmabufTransfer(epFd, dmabufFd, length, flags = 0): queues the transfer; completion is a fence.
Napi::Value DmabufTransfer(const Napi::CallbackInfo &info) {
  struct usb_ffs_dmabuf_transfer_req req;
  int ep;
  if (!TransferRequest(info, &ep, &req)) return info.Env().Undefined();
  if (ioctl(ep, FUNCTIONFS_DMABUF_TRANSFER, &req) < 0) {
    ThrowErrno(info.Env(), errno, "ioctl(FUNCTIONFS_DMABUF_TRANSFER)");
    return info.Env().Undefined();
  }
  return info.Env().Undefined();
}

// dmabufTransferFenced(epFd, dmabufFd, length, flags = 0) -> sync_file fd holding the transfer's
// fence, or -1 when the kernel cannot export fences (no CONFIG_SYNC_FILE). The export follows the ioctl at once, in C, because only unsignalled fences are
// exported: a transfer that completes before the export leaves a signalled stub (status 1),
// so the window in which a failure could pass unseen is kept to microseconds.
Napi::Value DmabufTransferFenced(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct usb_ffs_dmabuf_transfer_req req;
  int ep;
  if (!TransferRequest(info, &ep, &req)) return env.Undefined();
  if (ioctl(ep, FUNCTIONFS_DMABUF_TRANSFER, &req) < 0) {
    ThrowErrno(env, errno, "ioctl(FUNCTIONFS_DMABUF_TRANSFER)");
    return env.Undefined();
  }
  int sync_fd = ExportSyncFile(req.fd, true);
  // ENOTTY: a kernel without CONFIG_SYNC_FILE. The transfer is queued all the same; -1 tells
  // the caller to wait by polling the dma-buf, with no status to read.
  if (sync_fd < 0 && errno != ENOTTY) {
    ThrowErrno(env, errno, "ioctl(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)", "(the transfer was queued)");
    return env.Undefined();
  }
  return Napi::Number::New(env, sync_fd < 0 ? -1 : sync_fd);
}

// dmabufExportSyncFile(dmabufFd, all = true) -> sync_file fd (see ExportSyncFile).
Napi::Value DmabufExportSyncFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bool all = info.Length() < 2 || info[1].ToBoolean();
  int dmabuf_fd;
  if (!ArgFd(env, info[0], "dmabufExportSyncFile", "dmabufFd", &dmabuf_fd)) return env.Undefined();
  int fd = ExportSyncFile(dmabuf_fd, all);
  if (fd < 0) {
    ThrowErrno(env, errno, "ioctl(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// syncFileStatus(fd) -> 1 (all fences signalled without error), 0 (one still pending) or -errno
// (the first error a signalled fence carries). Reads each fence (SYNC_IOC_FILE_INFO), because a
// merged fence's own status may not carry its members' errors. Never polls the sync_file: poll
// hooks a callback under the fence's lock, and f_fs puts that lock in the attachment, which
// DETACH can free while the fence lives on.
int ReadSyncFileStatus(int fd, bool *ioctl_failed) {
  *ioctl_failed = false;
  struct sync_file_info head = {};
  if (ioctl(fd, SYNC_IOC_FILE_INFO, &head) < 0) {
    *ioctl_failed = true;
    return -errno;
  }
  std::vector<struct sync_fence_info> fences(head.num_fences);
  if (head.num_fences) {
    struct sync_file_info all = {};
    all.num_fences = head.num_fences;
    all.sync_fence_info = UserPtr(fences.data());
    if (ioctl(fd, SYNC_IOC_FILE_INFO, &all) < 0) {
      *ioctl_failed = true;
      return -errno;
    }
  }
  int status = head.status < 0 ? head.status : 1;
  bool pending = head.status == 0 && fences.empty();
  for (const auto &f : fences) {
    if (f.status < 0 && status == 1) status = f.status;
    if (f.status == 0) pending = true;
  }
  return status == 1 && pending ? 0 : status;
}

Napi::Value SyncFileStatus(const Napi::CallbackInfo &info) {
  bool failed;
  int sync_fd;
  if (!ArgFd(info.Env(), info[0], "syncFileStatus", "syncFd", &sync_fd)) return info.Env().Undefined();
  int status = ReadSyncFileStatus(sync_fd, &failed);
  if (failed) {
    ThrowErrno(info.Env(), -status, "ioctl(SYNC_IOC_FILE_INFO)");
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), status);
}

}  // namespace ffslab
