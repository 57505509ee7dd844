// FunctionFS endpoint ioctls: FIFO status/flush, clear halt, endpoint descriptor, revmap.
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "errno_error.h"
#include "ffs_native.h"
#include "js_args.h"

namespace ffslab {

namespace {

Napi::Value SimpleIoctl(const Napi::CallbackInfo &info, unsigned long req, const char *name, unsigned long arg = 0) {
  int fd;
  if (!ArgFd(info.Env(), info[0], name, "fd", &fd)) return info.Env().Undefined();
  int r = ioctl(fd, req, arg);
  if (r < 0) {
    ThrowErrno(info.Env(), errno, name);
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), r);
}

}  // namespace

Napi::Value FifoStatus(const Napi::CallbackInfo &info) { return SimpleIoctl(info, FUNCTIONFS_FIFO_STATUS, "ioctl(FUNCTIONFS_FIFO_STATUS)"); }
Napi::Value FifoFlush(const Napi::CallbackInfo &info) { return SimpleIoctl(info, FUNCTIONFS_FIFO_FLUSH, "ioctl(FUNCTIONFS_FIFO_FLUSH)"); }
Napi::Value ClearHalt(const Napi::CallbackInfo &info) { return SimpleIoctl(info, FUNCTIONFS_CLEAR_HALT, "ioctl(FUNCTIONFS_CLEAR_HALT)"); }
Napi::Value EndpointRevmap(const Napi::CallbackInfo &info) { return SimpleIoctl(info, FUNCTIONFS_ENDPOINT_REVMAP, "ioctl(FUNCTIONFS_ENDPOINT_REVMAP)"); }

Napi::Value InterfaceRevmap(const Napi::CallbackInfo &info) {
  int64_t intf;
  if (!ArgInt(info.Env(), info[1], "ioctl(FUNCTIONFS_INTERFACE_REVMAP)", "intf", 0, 255, &intf)) return info.Env().Undefined();
  return SimpleIoctl(info, FUNCTIONFS_INTERFACE_REVMAP, "ioctl(FUNCTIONFS_INTERFACE_REVMAP)", static_cast<unsigned long>(intf));
}

// endpointDescriptor(fd) -> Buffer with the endpoint descriptor as the UDC configured it.
Napi::Value EndpointDescriptor(const Napi::CallbackInfo &info) {
  struct usb_endpoint_descriptor d;
  int fd;
  if (!ArgFd(info.Env(), info[0], "ioctl(FUNCTIONFS_ENDPOINT_DESC)", "fd", &fd)) return info.Env().Undefined();
  if (ioctl(fd, FUNCTIONFS_ENDPOINT_DESC, &d) < 0) {
    ThrowErrno(info.Env(), errno, "ioctl(FUNCTIONFS_ENDPOINT_DESC)");
    return info.Env().Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t *>(&d), sizeof(d));
}

}  // namespace ffslab
