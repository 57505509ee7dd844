#include "gadget-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "pattern.h"
#include "stream-layout.h"

/* DMABUF for FunctionFS is Linux 6.9+; Debian 12's uapi headers predate it. */
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

#define PAGE 4096u

static long io_setup(unsigned nr, aio_context_t *ctx)
{
	return syscall(__NR_io_setup, nr, ctx);
}

static long io_destroy(aio_context_t ctx)
{
	return syscall(__NR_io_destroy, ctx);
}

static long io_submit(aio_context_t ctx, long n, struct iocb **cbs)
{
	return syscall(__NR_io_submit, ctx, n, cbs);
}

static long io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev, struct timespec *t)
{
	return syscall(__NR_io_getevents, ctx, min, max, ev, t);
}

static int receiving(const struct gadget_stream *s)
{
	return s->spec.kind == BENCH_SINK;
}

static int alloc_slot(struct gadget_stream *s, struct gadget_slot *sl)
{
	struct bench_result *r = &s->result;
	size_t size = s->slot_size ? s->slot_size : 1;
	void *p;

	sl->dmabuf_fd = -1;
	sl->memfd = -1;
	switch (s->spec.mode) {
	case BENCH_COPY:
	case BENCH_AIO:
		if (posix_memalign(&p, PAGE, size)) {
			result_fail_errno(r, ENOMEM, "posix_memalign");
			return -1;
		}
		sl->buf = p;
		sl->alloc = size;
		return 0;
	case BENCH_MMAP:
		sl->alloc = (size + PAGE - 1) / PAGE * PAGE;
		p = mmap(NULL, sl->alloc, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
		if (p == MAP_FAILED) {
			result_fail_errno(r, errno, "mmap(endpoint file)");
			sl->alloc = 0;
			return -1;
		}
		sl->buf = p;
		return 0;
	case BENCH_DMABUF: {
		struct udmabuf_create create = { 0 };
		int dev, fd;

		sl->alloc = (size + PAGE - 1) / PAGE * PAGE;
		sl->memfd = memfd_create("ffs-bench-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (sl->memfd < 0 || ftruncate(sl->memfd, (off_t)sl->alloc) < 0 ||
		    fcntl(sl->memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
			result_fail_errno(r, errno, "memfd for udmabuf");
			sl->alloc = 0;
			return -1;
		}
		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (dev < 0) {
			result_fail_errno(r, errno, "open(/dev/udmabuf)");
			sl->alloc = 0;
			return -1;
		}
		create.memfd = (__u32)sl->memfd;
		create.flags = UDMABUF_FLAGS_CLOEXEC;
		create.size = sl->alloc;
		fd = ioctl(dev, UDMABUF_CREATE, &create);
		if (fd < 0)
			result_fail_errno(r, errno, "ioctl(UDMABUF_CREATE)");
		close(dev);
		if (fd < 0) {
			sl->alloc = 0;
			return -1;
		}
		sl->dmabuf_fd = fd;
		p = mmap(NULL, sl->alloc, PROT_READ | PROT_WRITE, MAP_SHARED, sl->memfd, 0);
		if (p == MAP_FAILED) {
			result_fail_errno(r, errno, "mmap(udmabuf memfd)");
			sl->alloc = 0;
			return -1;
		}
		sl->buf = p;
		if (ioctl(s->fd, FUNCTIONFS_DMABUF_ATTACH, &fd) < 0) {
			result_fail_errno(r, errno, "ioctl(FUNCTIONFS_DMABUF_ATTACH)");
			return -1;
		}
		sl->attached = 1;
		return 0;
	}
	}
	return -1;
}

int gadget_stream_prepare(struct gadget_stream *s, const struct bench_spec *spec, const char *ep_path)
{
	struct bench_result *r = &s->result;
	struct usb_endpoint_descriptor d;
	uint64_t transfers, max_in_flight;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->spec = *spec;
	r->role = "gadget";
	r->spec = *spec;
	tally_init(&r->tally, &s->spec.shape, spec->seed);
	transfers = stream_transfer_count(&spec->shape);
	r->planned_transfers = transfers;
	s->fd = open(ep_path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		result_fail_errno(r, errno, ep_path);
		return -1;
	}
	if (ioctl(s->fd, FUNCTIONFS_ENDPOINT_DESC, &d) < 0) {
		result_fail_errno(r, errno, "ioctl(FUNCTIONFS_ENDPOINT_DESC)");
		return -1;
	}
	r->max_packet_size = d.wMaxPacketSize & 0x7ff;
	s->slot_size = stream_slot_bytes(&spec->shape, receiving(s), r->max_packet_size);
	max_in_flight = spec->max_in_flight ? spec->max_in_flight : STREAM_GADGET_MAX_IN_FLIGHT;
	r->depth = spec->mode == BENCH_COPY
			   ? 1
			   : stream_effective_depth(spec->depth, transfers, s->slot_size, max_in_flight);
	s->slots = calloc(r->depth, sizeof(*s->slots));
	if (!s->slots) {
		result_fail_errno(r, ENOMEM, "calloc");
		return -1;
	}
	for (s->nslots = 0; s->nslots < r->depth; s->nslots++)
		if (alloc_slot(s, &s->slots[s->nslots]) < 0) {
			s->nslots++; /* release() frees the partly made one too */
			return -1;
		}
	if ((spec->mode == BENCH_AIO || spec->mode == BENCH_MMAP) && io_setup(r->depth, &s->ctx) < 0) {
		s->ctx = 0;
		result_fail_errno(r, errno, "io_setup");
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

/* Check a completed transfer k, in stream order. */
static void finish(struct gadget_stream *s, uint64_t k, struct gadget_slot *sl, long long n)
{
	struct bench_result *r = &s->result;
	uint32_t want = stream_expected_length(&s->spec.shape, k);

	if (receiving(s)) {
		tally_received(&r->tally, k, sl->buf, (uint32_t)n);
		return;
	}
	if (n != want) {
		result_fail(r, "SHORT_WRITE", "transfer %llu: wrote %lld of %u bytes", (unsigned long long)k, n, want);
		return;
	}
	tally_sent(&r->tally, sl->buf, (uint32_t)n);
}

/* The length transfer k posts: exact for senders and dmabuf (no byte count), rounded for readers. */
static uint32_t post_length(const struct gadget_stream *s, uint64_t k)
{
	uint32_t len = stream_expected_length(&s->spec.shape, k);

	if (!receiving(s) || s->spec.mode == BENCH_DMABUF)
		return len;
	return stream_receive_length(len, s->result.max_packet_size);
}

static void run_copy(struct gadget_stream *s, uint64_t transfers)
{
	struct bench_result *r = &s->result;
	struct gadget_slot *sl = &s->slots[0];
	struct sigaction sa = { 0 }, old;
	struct itimerval it = { 0 };

	/* No SA_RESTART: the deadline interrupts a blocking read()/write() with EINTR. */
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	alarm_fired = 0;
	it.it_value.tv_sec = s->spec.timeout_ms / 1000;
	it.it_value.tv_usec = (s->spec.timeout_ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	for (uint64_t k = 0; k < transfers && !r->error_code[0]; k++) {
		uint32_t len = post_length(s, k);
		ssize_t n;

		if (!receiving(s))
			pattern_fill(sl->buf, len, s->spec.seed, stream_transfer_offset(&s->spec.shape, k));
		n = receiving(s) ? read(s->fd, sl->buf, len) : write(s->fd, sl->buf, len);
		if (n < 0) {
			if (errno == EINTR && alarm_fired)
				result_fail(r, "TIMEOUT", "stream did not finish within %u ms", s->spec.timeout_ms);
			else
				result_fail_errno(r, errno, receiving(s) ? "read" : "write");
			break;
		}
		finish(s, k, sl, n);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, &old, NULL);
}

/* Queue transfer k on its slot: AIO goes into `batch` (submitted together), DMABUF starts at once. */
static int start(struct gadget_stream *s, uint64_t k, struct iocb **batch, long *nbatch)
{
	struct gadget_slot *sl = &s->slots[k % s->nslots];
	uint32_t len = post_length(s, k);

	if (!receiving(s))
		pattern_fill(sl->buf, len, s->spec.seed, stream_transfer_offset(&s->spec.shape, k));
	sl->complete = 0;
	if (s->spec.mode == BENCH_DMABUF) {
		struct usb_ffs_dmabuf_transfer_req req = { .fd = sl->dmabuf_fd, .flags = 0, .length = len };

		sl->res = len;
		if (ioctl(s->fd, FUNCTIONFS_DMABUF_TRANSFER, &req) < 0) {
			result_fail_errno(&s->result, errno, "ioctl(FUNCTIONFS_DMABUF_TRANSFER)");
			return -1;
		}
		return 0;
	}
	memset(&sl->cb, 0, sizeof(sl->cb));
	sl->cb.aio_fildes = (__u32)s->fd;
	sl->cb.aio_lio_opcode = receiving(s) ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE;
	sl->cb.aio_buf = (__u64)(uintptr_t)sl->buf;
	sl->cb.aio_nbytes = len;
	sl->cb.aio_data = (__u64)(uintptr_t)sl;
	batch[(*nbatch)++] = &sl->cb;
	return 0;
}

static int flush(struct gadget_stream *s, struct iocb **batch, long *nbatch)
{
	long done = 0;

	while (done < *nbatch) {
		long n = io_submit(s->ctx, *nbatch - done, batch + done);

		if (n <= 0) {
			result_fail_errno(&s->result, n < 0 ? errno : EAGAIN, "io_submit");
			*nbatch = 0;
			return -1;
		}
		done += n;
	}
	*nbatch = 0;
	return 0;
}

static int remaining_ms(double deadline)
{
	double left = deadline - bench_now();

	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* Wait until the transfer on `sl` has completed; 0, or -1 with the error recorded. */
static int wait_slot(struct gadget_stream *s, struct gadget_slot *sl, double deadline)
{
	struct io_event events[256];

	if (s->spec.mode == BENCH_DMABUF) {
		/* POLLOUT on a dma-buf: every fence on it has signalled, i.e. the transfer ended. */
		struct pollfd p = { .fd = sl->dmabuf_fd, .events = POLLOUT };
		int n = poll(&p, 1, remaining_ms(deadline));

		if (n < 0) {
			result_fail_errno(&s->result, errno, "poll(dma-buf)");
			return -1;
		}
		if (n == 0) {
			result_fail(&s->result, "TIMEOUT", "stream did not finish within %u ms", s->spec.timeout_ms);
			return -1;
		}
		sl->complete = 1;
		return 0;
	}
	while (!sl->complete) {
		int ms = remaining_ms(deadline);
		struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
		long got = io_getevents(s->ctx, 1, 256, events, &t);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			result_fail_errno(&s->result, errno, "io_getevents");
			return -1;
		}
		if (got == 0) {
			result_fail(&s->result, "TIMEOUT", "stream did not finish within %u ms", s->spec.timeout_ms);
			return -1;
		}
		for (long i = 0; i < got; i++) {
			struct gadget_slot *done = (struct gadget_slot *)(uintptr_t)events[i].data;

			done->complete = 1;
			done->res = (long long)events[i].res;
		}
	}
	return 0;
}

static void run_async(struct gadget_stream *s, uint64_t transfers)
{
	struct bench_result *r = &s->result;
	double deadline = bench_now() + s->spec.timeout_ms / 1000.0;
	struct iocb **batch = calloc(s->nslots, sizeof(*batch));
	long nbatch = 0;
	uint64_t next = 0;

	if (!batch) {
		result_fail_errno(r, ENOMEM, "calloc");
		return;
	}
	while (next < transfers && next < s->nslots)
		if (start(s, next++, batch, &nbatch) < 0)
			goto out;
	for (uint64_t k = 0; k < transfers; k++) {
		struct gadget_slot *sl = &s->slots[k % s->nslots];

		/* Submit what is queued before blocking; while completions are at hand, keep batching. */
		if (!sl->complete && nbatch && flush(s, batch, &nbatch) < 0)
			goto out;
		if (wait_slot(s, sl, deadline) < 0)
			goto out;
		if (sl->res < 0) {
			result_fail_errno(r, (int)-sl->res, receiving(s) ? "AIO read" : "AIO write");
			goto out;
		}
		finish(s, k, sl, sl->res);
		if (r->error_code[0])
			goto out;
		if (next < transfers && start(s, next++, batch, &nbatch) < 0)
			goto out;
	}
out:
	free(batch);
}

void gadget_stream_run(struct gadget_stream *s)
{
	struct bench_result *r = &s->result;
	uint64_t transfers = r->planned_transfers;
	double u0, s0, u1, s1, t0;

	bench_cpu(&u0, &s0);
	t0 = bench_now();
	if (s->spec.mode == BENCH_COPY)
		run_copy(s, transfers);
	else
		run_async(s, transfers);
	r->seconds = bench_now() - t0;
	bench_cpu(&u1, &s1);
	r->cpu_user_seconds = u1 - u0;
	r->cpu_system_seconds = s1 - s0;
}

void gadget_stream_release(struct gadget_stream *s)
{
	/* io_destroy cancels what is still in flight and waits for it, so buffers are free after. */
	if (s->ctx)
		io_destroy(s->ctx);
	s->ctx = 0;
	for (uint32_t i = 0; i < s->nslots; i++) {
		struct gadget_slot *sl = &s->slots[i];

		if (sl->attached)
			ioctl(s->fd, FUNCTIONFS_DMABUF_DETACH, &sl->dmabuf_fd);
		if (sl->buf && (s->spec.mode == BENCH_MMAP || s->spec.mode == BENCH_DMABUF))
			munmap(sl->buf, sl->alloc);
		else
			free(sl->buf);
		if (sl->dmabuf_fd >= 0)
			close(sl->dmabuf_fd);
		if (sl->memfd >= 0)
			close(sl->memfd);
	}
	free(s->slots);
	s->slots = NULL;
	s->nslots = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
