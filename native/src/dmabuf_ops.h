// The FunctionFS DMABUF operations as plain C++ (dmabuf.cc), shared by the JS bindings there and
// by DmabufPump: -1 (or a negative errno) and errno on failure, never a JS exception.
#pragma once
#include <cstdint>

namespace ffslab {

// FUNCTIONFS_DMABUF_ATTACH / DETACH of `dmabuf_fd` on endpoint `ep_fd`: 0, or -1 and errno.
int DmabufAttachFd(int ep_fd, int dmabuf_fd);
int DmabufDetachFd(int ep_fd, int dmabuf_fd);
// FUNCTIONFS_DMABUF_TRANSFER of `length` bytes: 0, or -1 and errno.
int DmabufTransferFd(int ep_fd, int dmabuf_fd, uint64_t length, uint32_t flags);
// DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a sync_file holding the dma-buf's unsignalled fences; `all`
// asks for every fence (what a writer would wait for), else only writers'. -1 and errno on failure.
int ExportSyncFile(int dmabuf_fd, bool all);
// A sync_file's state: 1 (all fences signalled without error), 0 (one still pending), the
// negative errno a signalled fence carries, or -errno of SYNC_IOC_FILE_INFO itself failing
// (with *ioctl_failed set).
int ReadSyncFileStatus(int sync_fd, bool *ioctl_failed);

}  // namespace ffslab
