/*
 * ffs-bench-gadget: the gadget half of the C reference pair. A FunctionFS program with the same
 * function as the agent's default stream function (one vendor interface, bulk IN ep1, bulk OUT
 * ep2, full/high/SuperSpeed descriptors), serving any number of streams that the C host asks
 * for with vendor control requests (bench-protocol.h). Prints one JSON line per stream on stdout.
 *
 * Usage: ffs-bench-gadget [--dir MOUNT] [--name INTERFACE-STRING]
 * Run with the FunctionFS mount as the working directory (or --dir); the agent's program.start
 * does that. Exits on SIGTERM; the kernel frees its buffers and mappings.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-protocol.h"
#include "bench-spec.h"
#include "gadget-stream.h"

struct blob {
	uint8_t data[256];
	size_t len;
};

static void put8(struct blob *b, unsigned v)
{
	b->data[b->len++] = (uint8_t)v;
}

static void put16(struct blob *b, unsigned v)
{
	put8(b, v & 0xff);
	put8(b, v >> 8);
}

static void put32(struct blob *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

static void interface_desc(struct blob *b)
{
	put8(b, USB_DT_INTERFACE_SIZE);
	put8(b, USB_DT_INTERFACE);
	put8(b, 0); /* bInterfaceNumber: FunctionFS renumbers */
	put8(b, 0); /* bAlternateSetting */
	put8(b, 2); /* bNumEndpoints */
	put8(b, USB_CLASS_VENDOR_SPEC);
	put8(b, 0);
	put8(b, 0);
	put8(b, 1); /* iInterface: our one string */
}

static void bulk_desc(struct blob *b, unsigned address, unsigned mps)
{
	put8(b, USB_DT_ENDPOINT_SIZE);
	put8(b, USB_DT_ENDPOINT);
	put8(b, address);
	put8(b, USB_ENDPOINT_XFER_BULK);
	put16(b, mps);
	put8(b, 0);
}

static void ss_companion(struct blob *b)
{
	put8(b, USB_DT_SS_EP_COMP_SIZE);
	put8(b, USB_DT_SS_ENDPOINT_COMP);
	put8(b, 0);  /* bMaxBurst */
	put8(b, 0);  /* bmAttributes */
	put16(b, 0); /* wBytesPerInterval: 0 for bulk */
}

/* The v2 descriptor blob: the same function descriptors.ts builds for the agent's default. */
static void descriptors(struct blob *b)
{
	static const unsigned mps[3] = { 64, 512, 1024 };

	b->len = 0;
	put32(b, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	put32(b, 0); /* length, patched below */
	put32(b, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC);
	put32(b, 3);
	put32(b, 3);
	put32(b, 5);
	for (int speed = 0; speed < 3; speed++) {
		interface_desc(b);
		bulk_desc(b, USB_DIR_IN | 1, mps[speed]);
		if (speed == 2)
			ss_companion(b);
		bulk_desc(b, USB_DIR_OUT | 2, mps[speed]);
		if (speed == 2)
			ss_companion(b);
	}
	b->data[4] = (uint8_t)b->len;
	b->data[5] = (uint8_t)(b->len >> 8);
}

static void strings(struct blob *b, const char *name)
{
	size_t n = strlen(name) + 1;

	b->len = 0;
	put32(b, FUNCTIONFS_STRINGS_MAGIC);
	put32(b, (uint32_t)(16 + 2 + n));
	put32(b, 1); /* str_count */
	put32(b, 1); /* lang_count */
	put16(b, 0x0409);
	memcpy(b->data + b->len, name, n);
	b->len += n;
}

static int ep0;
static const char *dir = ".";
static struct gadget_stream stream;
static int prepared;
static char status[BENCH_CTRL_MAX];
static char last_result[BENCH_CTRL_MAX] = "{}";

/* Refuse a request: I/O against its direction makes FunctionFS stall ep0. */
static void stall(const struct usb_ctrlrequest *c)
{
	char dummy;

	if (c->bRequestType & USB_DIR_IN) {
		if (read(ep0, &dummy, 0) >= 0)
			fprintf(stderr, "ffs-bench-gadget: stall did not stall\n");
	} else if (write(ep0, &dummy, 0) >= 0) {
		fprintf(stderr, "ffs-bench-gadget: stall did not stall\n");
	}
}

static void reply(const char *text, unsigned wlength)
{
	size_t n = strlen(text);

	if (write(ep0, text, n < wlength ? n : wlength) < 0)
		fprintf(stderr, "ffs-bench-gadget: ep0 reply: %s\n", strerror(errno));
}

static void start_request(unsigned wlength)
{
	char text[BENCH_CTRL_MAX + 1], err[256], path[4096];
	struct bench_spec spec;
	ssize_t n = read(ep0, text, wlength);

	if (prepared)
		gadget_stream_release(&stream);
	prepared = 0;
	if (n < 0) {
		snprintf(status, sizeof(status), "error %s reading the spec: %s", strerrorname_np(errno),
			 strerror(errno));
		return;
	}
	text[n] = '\0';
	if (bench_spec_parse(text, &spec, err, sizeof(err)) < 0) {
		snprintf(status, sizeof(status), "error BAD_REQUEST %s", err);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, spec.kind == BENCH_SOURCE ? "ep1" : "ep2");
	prepared = 1;
	if (gadget_stream_prepare(&stream, &spec, path) < 0)
		snprintf(status, sizeof(status), "error %s %s", stream.result.error_code, stream.result.error_message);
	else
		snprintf(status, sizeof(status), "ready");
}

static void status_request(unsigned wlength)
{
	reply(status, wlength);
	if (!prepared)
		return;
	if (!strcmp(status, "ready")) {
		gadget_stream_run(&stream);
		if (result_json(&stream.result, NULL, last_result, sizeof(last_result)) < 0)
			snprintf(last_result, sizeof(last_result),
				 "{\"role\":\"gadget\",\"state\":\"failed\",\"error\":{\"code\":\"INTERNAL\","
				 "\"message\":\"result too long\"}}");
		printf("%s\n", last_result);
	}
	gadget_stream_release(&stream);
	prepared = 0;
}

static void setup(const struct usb_ctrlrequest *c)
{
	unsigned wlength = le16toh(c->wLength);

	if (c->bRequestType == BENCH_RT_OUT && c->bRequest == BENCH_REQ_START && wlength > 0 &&
	    wlength <= BENCH_CTRL_MAX)
		start_request(wlength);
	else if (c->bRequestType == BENCH_RT_IN && c->bRequest == BENCH_REQ_STATUS)
		status_request(wlength);
	else if (c->bRequestType == BENCH_RT_IN && c->bRequest == BENCH_REQ_RESULT)
		reply(last_result, wlength);
	else
		stall(c);
}

int main(int argc, char **argv)
{
	const char *name = "ffs-lab C bench gadget";
	struct usb_functionfs_event events[8];
	struct blob b;
	char path[4096];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc && strlen(argv[i + 1]) < 126) {
			name = argv[++i];
		} else {
			fprintf(stderr, "usage: ffs-bench-gadget [--dir MOUNT] [--name INTERFACE-STRING]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/ep0", dir);
	ep0 = open(path, O_RDWR | O_CLOEXEC);
	if (ep0 < 0) {
		fprintf(stderr, "ffs-bench-gadget: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	descriptors(&b);
	if (write(ep0, b.data, b.len) < 0) {
		fprintf(stderr, "ffs-bench-gadget: writing descriptors: %s\n", strerror(errno));
		return 1;
	}
	strings(&b, name);
	if (write(ep0, b.data, b.len) < 0) {
		fprintf(stderr, "ffs-bench-gadget: writing strings: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "ffs-bench-gadget: descriptors written in %s\n", dir);
	for (;;) {
		ssize_t n = read(ep0, events, sizeof(events));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "ffs-bench-gadget: reading ep0 events: %s\n", strerror(errno));
			return 1;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(events[0]); i++) {
			if (events[i].type == FUNCTIONFS_SETUP)
				setup(&events[i].u.setup);
			else if (events[i].type == FUNCTIONFS_ENABLE)
				fprintf(stderr, "ffs-bench-gadget: enabled\n");
			else if (events[i].type == FUNCTIONFS_DISABLE)
				fprintf(stderr, "ffs-bench-gadget: disabled\n");
		}
	}
}
