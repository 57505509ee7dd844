/* A stream spec as both C programs read it (the text format is in bench-protocol.h). */
#ifndef FFS_BENCH_SPEC_H
#define FFS_BENCH_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "stream-layout.h"

enum bench_kind { BENCH_SOURCE, BENCH_SINK };
enum bench_mode { BENCH_COPY, BENCH_AIO, BENCH_MMAP, BENCH_DMABUF };

/** One stream: what both ends must be told identically (as the agent's StreamParams). */
struct bench_spec {
	enum bench_kind kind;
	enum bench_mode mode;
	struct stream_shape shape;
	/** Transfers to keep in flight (1..256), before the bounds. */
	uint32_t depth;
	uint32_t seed;
	/** Deadline of the whole stream (ms). */
	uint32_t timeout_ms;
	/** Bound on bytes posted at once; 0 = the end's default. */
	uint64_t max_in_flight;
};

/** Parse `text`; 0 on success, else -1 with the reason in `err`. */
int bench_spec_parse(const char *text, struct bench_spec *spec, char *err, size_t errlen);

/** Write `spec` as text (NUL-terminated) into `out`; returns the length. */
int bench_spec_format(const struct bench_spec *spec, char *out, size_t outlen);

const char *bench_kind_name(enum bench_kind k);
const char *bench_mode_name(enum bench_mode m);

#endif
