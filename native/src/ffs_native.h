// Free functions of the addon, one group per source file.
#pragma once
#include <napi.h>

namespace ffslab {

// ffs_ioctl.cc
Napi::Value FifoStatus(const Napi::CallbackInfo &info);
Napi::Value FifoFlush(const Napi::CallbackInfo &info);
Napi::Value ClearHalt(const Napi::CallbackInfo &info);
Napi::Value EndpointRevmap(const Napi::CallbackInfo &info);
Napi::Value InterfaceRevmap(const Napi::CallbackInfo &info);
Napi::Value EndpointDescriptor(const Napi::CallbackInfo &info);

// dmabuf.cc
Napi::Value UdmabufCreate(const Napi::CallbackInfo &info);
Napi::Value DmabufAttach(const Napi::CallbackInfo &info);
Napi::Value DmabufDetach(const Napi::CallbackInfo &info);
Napi::Value DmabufTransfer(const Napi::CallbackInfo &info);
Napi::Value DmabufTransferFenced(const Napi::CallbackInfo &info);
Napi::Value DmabufExportSyncFile(const Napi::CallbackInfo &info);
Napi::Value SyncFileStatus(const Napi::CallbackInfo &info);

}  // namespace ffslab
