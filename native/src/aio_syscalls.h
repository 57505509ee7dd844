// Linux native AIO by syscall (no libaio): thin inline wrappers, -1 and errno on failure.
#pragma once
#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>

namespace ffslab {

inline long IoSetup(unsigned nr, aio_context_t *ctx) { return syscall(__NR_io_setup, nr, ctx); }
inline long IoDestroy(aio_context_t ctx) { return syscall(__NR_io_destroy, ctx); }
inline long IoSubmit(aio_context_t ctx, long n, struct iocb **cbs) { return syscall(__NR_io_submit, ctx, n, cbs); }
inline long IoCancel(aio_context_t ctx, struct iocb *cb, struct io_event *ev) { return syscall(__NR_io_cancel, ctx, cb, ev); }
inline long IoGetevents(aio_context_t ctx, long min, long max, struct io_event *ev, struct timespec *t) { return syscall(__NR_io_getevents, ctx, min, max, ev, t); }

}  // namespace ffslab
