/*
 * ffs-bench-host: the host half of the C reference pair (libusb-1.0, many asynchronous bulk
 * transfers in flight, every received byte checked against the pattern). It asks the C gadget
 * for the stream with vendor control requests (bench-protocol.h), runs its own end, fetches the
 * gadget's result, and prints one JSON line: its own result with the gadget's as "gadget".
 *
 * Usage: ffs-bench-host --device BUS:ADDRESS [--host-max-in-flight BYTES] SPEC...
 * SPEC is the key=value list of bench-protocol.h, e.g.
 *   ffs-bench-host --device 1:3 kind=source mode=mmap size=65536 total=16777216 depth=8 seed=7
 * Exit: 0 the stream completed on this end with every byte right, 1 it did not (see "error"),
 * 2 usage, 3 the device could not be opened or the gadget did not answer.
 */
#include <errno.h>
#include <inttypes.h>
#include <libusb-1.0/libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-protocol.h"
#include "bench-result.h"
#include "bench-spec.h"
#include "pattern.h"
#include "stream-layout.h"

struct host_slot {
	struct libusb_transfer *xfer;
	uint8_t *buf;
	int done;
};

static struct bench_result result;
static libusb_context *ctx;
static libusb_device_handle *handle;

static void on_complete(struct libusb_transfer *xfer)
{
	((struct host_slot *)xfer->user_data)->done = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: ffs-bench-host --device BUS:ADDRESS [--host-max-in-flight BYTES] kind=... mode=... "
			"size=... total=... depth=... seed=... [timeout_ms=...]\n");
	return 2;
}

static int open_device(int bus, int address, uint8_t *ep_in, uint8_t *ep_out, uint32_t *mps)
{
	libusb_device **list;
	struct libusb_config_descriptor *cfg;
	ssize_t n = libusb_get_device_list(ctx, &list);
	int r = LIBUSB_ERROR_NOT_FOUND;

	for (ssize_t i = 0; i < n; i++)
		if (libusb_get_bus_number(list[i]) == bus && libusb_get_device_address(list[i]) == address) {
			r = libusb_open(list[i], &handle);
			break;
		}
	libusb_free_device_list(list, 1);
	if (r < 0)
		return r;
	r = libusb_claim_interface(handle, 0);
	if (r < 0)
		return r;
	r = libusb_get_active_config_descriptor(libusb_get_device(handle), &cfg);
	if (r < 0)
		return r;
	*ep_in = *ep_out = 0;
	if (cfg->bNumInterfaces > 0 && cfg->interface[0].num_altsetting > 0) {
		const struct libusb_interface_descriptor *alt = &cfg->interface[0].altsetting[0];

		/* Endpoint addresses are what the UDC assigned (dummy_udc renumbers): find them by direction. */
		for (int i = 0; i < alt->bNumEndpoints; i++) {
			const struct libusb_endpoint_descriptor *e = &alt->endpoint[i];

			if ((e->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
				continue;
			if ((e->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !*ep_in) {
				*ep_in = e->bEndpointAddress;
				*mps = e->wMaxPacketSize & 0x7ff;
			} else if (!(e->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !*ep_out) {
				*ep_out = e->bEndpointAddress;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return *ep_in && *ep_out ? 0 : LIBUSB_ERROR_NOT_FOUND;
}

/* One control request; returns bytes moved or a libusb error. */
static int control(uint8_t rt, uint8_t req, void *data, uint16_t len, unsigned timeout_ms)
{
	return libusb_control_transfer(handle, rt, req, 0, 0, data, len, timeout_ms);
}

static const char *status_name(enum libusb_transfer_status st)
{
	switch (st) {
	case LIBUSB_TRANSFER_ERROR: return "LIBUSB_TRANSFER_ERROR";
	case LIBUSB_TRANSFER_TIMED_OUT: return "LIBUSB_TRANSFER_TIMED_OUT";
	case LIBUSB_TRANSFER_CANCELLED: return "LIBUSB_TRANSFER_CANCELLED";
	case LIBUSB_TRANSFER_STALL: return "LIBUSB_TRANSFER_STALL";
	case LIBUSB_TRANSFER_NO_DEVICE: return "LIBUSB_TRANSFER_NO_DEVICE";
	case LIBUSB_TRANSFER_OVERFLOW: return "LIBUSB_TRANSFER_OVERFLOW";
	default: return "LIBUSB_ERROR";
	}
}

/* Cancel every transfer still in flight and wait (bounded) until libusb has given them back. */
static void cancel_all(struct host_slot *slots, uint32_t n, const int *in_flight)
{
	double until = bench_now() + 5;

	for (uint32_t i = 0; i < n; i++)
		if (in_flight[i] && !slots[i].done)
			libusb_cancel_transfer(slots[i].xfer);
	for (uint32_t i = 0; i < n; i++)
		while (in_flight[i] && !slots[i].done && bench_now() < until) {
			struct timeval tv = { 0, 100000 };

			libusb_handle_events_timeout_completed(ctx, &tv, &slots[i].done);
		}
}

static void run(const struct bench_spec *spec, uint8_t ep, int receiving, uint64_t budget)
{
	const struct stream_shape *shape = &spec->shape;
	uint64_t transfers = result.planned_transfers, next = 0;
	uint32_t mps = result.max_packet_size;
	uint32_t slot_size = stream_slot_bytes(shape, receiving, mps);
	uint32_t depth = stream_effective_depth(spec->depth, transfers, slot_size, budget);
	struct host_slot *slots = calloc(depth, sizeof(*slots));
	int *in_flight = calloc(depth, sizeof(*in_flight));
	double deadline, u0, s0, u1, s1, t0;

	result.depth = depth;
	if (!slots || !in_flight) {
		result_fail_errno(&result, ENOMEM, "calloc");
		return;
	}
	for (uint32_t i = 0; i < depth; i++) {
		slots[i].xfer = libusb_alloc_transfer(0);
		slots[i].buf = malloc(slot_size ? slot_size : 1);
		if (!slots[i].xfer || !slots[i].buf) {
			result_fail_errno(&result, ENOMEM, "allocating transfers");
			goto out;
		}
	}
	bench_cpu(&u0, &s0);
	t0 = bench_now();
	deadline = t0 + spec->timeout_ms / 1000.0;
	for (uint64_t k = 0; k < transfers && !result.error_code[0]; k++) {
		struct host_slot *sl = &slots[k % depth];
		uint32_t want = stream_expected_length(shape, k);

		/* Keep `depth` transfers in flight: top up before waiting for transfer k. */
		while (next < transfers && next < k + depth) {
			struct host_slot *ns = &slots[next % depth];
			uint32_t len = stream_expected_length(shape, next);
			int r;

			if (receiving)
				len = stream_receive_length(len, mps);
			else
				pattern_fill(ns->buf, len, spec->seed, stream_transfer_offset(shape, next));
			/* Timeout 0: queued transfers wait for earlier ones; the stream deadline bounds the whole. */
			libusb_fill_bulk_transfer(ns->xfer, handle, ep, ns->buf, (int)len, on_complete, ns, 0);
			ns->done = 0;
			r = libusb_submit_transfer(ns->xfer);
			if (r < 0) {
				result_fail(&result, "LIBUSB_ERROR", "submit: %s", libusb_error_name(r));
				break;
			}
			in_flight[next % depth] = 1;
			next++;
		}
		if (result.error_code[0])
			break;
		while (!sl->done) {
			double left = deadline - bench_now();
			struct timeval tv;

			if (left <= 0) {
				result_fail(&result, "TIMEOUT", "stream did not finish within %u ms", spec->timeout_ms);
				break;
			}
			tv.tv_sec = (time_t)left;
			tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
			libusb_handle_events_timeout_completed(ctx, &tv, &sl->done);
		}
		if (result.error_code[0])
			break;
		in_flight[k % depth] = 0;
		if (sl->xfer->status != LIBUSB_TRANSFER_COMPLETED) {
			result_fail(&result, status_name(sl->xfer->status), "%s: transfer %" PRIu64,
				    status_name(sl->xfer->status), k);
			break;
		}
		if (receiving) {
			tally_received(&result.tally, k, sl->buf, (uint32_t)sl->xfer->actual_length);
		} else if ((uint32_t)sl->xfer->actual_length != want) {
			result_fail(&result, "SHORT_WRITE", "transfer %" PRIu64 ": the device took %d of %u bytes", k,
				    sl->xfer->actual_length, want);
		} else {
			tally_sent(&result.tally, sl->buf, want);
		}
	}
	result.seconds = bench_now() - t0;
	bench_cpu(&u1, &s1);
	result.cpu_user_seconds = u1 - u0;
	result.cpu_system_seconds = s1 - s0;
	if (result.error_code[0])
		cancel_all(slots, depth, in_flight);
out:
	for (uint32_t i = 0; i < depth; i++) {
		if (slots[i].xfer)
			libusb_free_transfer(slots[i].xfer);
		free(slots[i].buf);
	}
	free(slots);
	free(in_flight);
}

static void print(const char *gadget_json, int code)
{
	static char line[2 * BENCH_CTRL_MAX + 64], extra[BENCH_CTRL_MAX + 16];

	snprintf(extra, sizeof(extra), "\"gadget\":%s", gadget_json);
	if (result_json(&result, extra, line, sizeof(line)) < 0)
		result_json(&result, NULL, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	if (handle) {
		libusb_release_interface(handle, 0);
		libusb_close(handle);
	}
	if (ctx)
		libusb_exit(ctx);
	exit(code);
}

int main(int argc, char **argv)
{
	char spec_text[BENCH_CTRL_MAX], reply[BENCH_CTRL_MAX + 1], err[256];
	size_t at = 0;
	struct bench_spec spec;
	uint64_t budget = STREAM_HOST_MAX_IN_FLIGHT;
	int bus = -1, address = -1, r;
	uint8_t ep_in = 0, ep_out = 0;
	uint32_t mps = 0;

	spec_text[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			if (sscanf(argv[++i], "%d:%d", &bus, &address) != 2)
				return usage();
		} else if (!strcmp(argv[i], "--host-max-in-flight") && i + 1 < argc) {
			budget = strtoull(argv[++i], NULL, 10);
			if (!budget)
				return usage();
		} else if (strchr(argv[i], '=') && at + strlen(argv[i]) + 2 < sizeof(spec_text)) {
			at += (size_t)snprintf(spec_text + at, sizeof(spec_text) - at, "%s%s", at ? " " : "", argv[i]);
		} else {
			return usage();
		}
	}
	if (bus < 0)
		return usage();
	if (bench_spec_parse(spec_text, &spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "ffs-bench-host: %s\n", err);
		return usage();
	}
	result.role = "host";
	result.spec = spec;
	result.planned_transfers = stream_transfer_count(&spec.shape);
	tally_init(&result.tally, &result.spec.shape, spec.seed);
	r = libusb_init(&ctx);
	if (r == 0)
		r = open_device(bus, address, &ep_in, &ep_out, &mps);
	if (r < 0) {
		result_fail(&result, "NO_DEVICE", "device %d:%d: %s", bus, address, libusb_error_name(r));
		print("null", 3);
	}
	result.max_packet_size = mps;
	/* Send the spec exactly as parsed, so both ends run the same stream. */
	bench_spec_format(&spec, spec_text, sizeof(spec_text));
	r = control(BENCH_RT_OUT, BENCH_REQ_START, spec_text, (uint16_t)strlen(spec_text), 10000);
	if (r >= 0)
		r = control(BENCH_RT_IN, BENCH_REQ_STATUS, reply, BENCH_CTRL_MAX, 30000);
	if (r < 0) {
		result_fail(&result, "GADGET", "the C gadget did not take the stream: %s", libusb_error_name(r));
		print("null", 3);
	}
	reply[r] = '\0';
	if (strcmp(reply, "ready") != 0) {
		/* "error CODE message": the gadget could not set the stream up (e.g. EPERM on DMABUF attach). */
		char code[32] = "GADGET";

		sscanf(reply, "error %31s", code);
		result_fail(&result, code, "gadget: %s", reply);
		print("null", 1);
	}
	run(&spec, spec.kind == BENCH_SOURCE ? ep_in : ep_out, spec.kind == BENCH_SOURCE, budget);
	/* The gadget answers once its end is over: at most its own deadline later. */
	r = control(BENCH_RT_IN, BENCH_REQ_RESULT, reply, BENCH_CTRL_MAX, spec.timeout_ms + 10000);
	if (r < 0) {
		result_fail(&result, "GADGET", "no result from the C gadget: %s", libusb_error_name(r));
		print("null", 1);
	}
	reply[r] = '\0';
	print(reply[0] == '{' ? reply : "null", result.error_code[0] || result.tally.first_bad >= 0 ? 1 : 0);
	return 0;
}
