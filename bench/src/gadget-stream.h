/*
 * One stream on the C gadget over one I/O mode, the way the agent's AgentStream does it:
 * `depth` slots allocated once (mmap/dmabuf buffers are endpoint/device memory), transfers
 * submitted in stream order, completions handled in stream order, every received byte checked.
 *
 * - copy: blocking read()/write(), one transfer at a time (the agent keeps copy mode at depth 1 too);
 * - aio: Linux AIO (io_setup/io_submit/io_getevents by syscall) on heap buffers, batch submission;
 * - mmap: the same AIO from buffers mmapped from the endpoint file (zero-copy in the kernel);
 * - dmabuf: udmabuf buffers attached to the endpoint, FUNCTIONFS_DMABUF_TRANSFER, completion by
 *   polling the dma-buf fd (a fence has no byte count: a transfer counts as its posted length).
 *
 * Lifecycle: gadget_stream_prepare() -> gadget_stream_run() -> gadget_stream_release(); release
 * frees everything on every path.
 */
#ifndef FFS_BENCH_GADGET_STREAM_H
#define FFS_BENCH_GADGET_STREAM_H

#include <linux/aio_abi.h>
#include <stdint.h>

#include "bench-result.h"
#include "bench-spec.h"

struct gadget_slot {
	uint8_t *buf;
	/** Bytes mapped or allocated (page-rounded for mmap/dmabuf). */
	size_t alloc;
	int dmabuf_fd;
	int memfd;
	int attached;
	/** AIO: set once the completion for this slot's transfer arrived. */
	int complete;
	long long res;
	struct iocb cb;
};

struct gadget_stream {
	struct bench_spec spec;
	int fd;
	uint32_t slot_size;
	struct gadget_slot *slots;
	uint32_t nslots;
	aio_context_t ctx;
	struct bench_result result;
};

/** Open `ep_path` and set up buffers for `spec`; on failure the error is in s->result (and -1 returned). */
int gadget_stream_prepare(struct gadget_stream *s, const struct bench_spec *spec, const char *ep_path);

/** Move the whole stream (or fail at its deadline); the outcome is in s->result. */
void gadget_stream_run(struct gadget_stream *s);

/** Close and free everything prepare() made; safe after a failed prepare. */
void gadget_stream_release(struct gadget_stream *s);

#endif
