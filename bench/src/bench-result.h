/* What one end of a C-pair stream did, and its one-line JSON form (field names as the agent's StreamReport). */
#ifndef FFS_BENCH_RESULT_H
#define FFS_BENCH_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "bench-spec.h"
#include "stream-tally.h"

struct bench_result {
	/** "gadget" or "host". */
	const char *role;
	struct bench_spec spec;
	/** Transfers kept in flight (after the bounds). */
	uint32_t depth;
	uint32_t max_packet_size;
	uint64_t planned_transfers;
	struct stream_tally tally;
	/** First submission to last completion. */
	double seconds;
	/** This process's CPU time over the same span (getrusage). */
	double cpu_user_seconds;
	double cpu_system_seconds;
	/** Empty when the stream completed; else TIMEOUT, an errno name, a libusb status... */
	char error_code[32];
	char error_message[256];
};

/** Record the first error only (later ones are consequences). */
void result_fail(struct bench_result *r, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Record an errno as the error: the code is its name (ENOMEM...). */
void result_fail_errno(struct bench_result *r, int err, const char *what);

/** The result as one JSON object (no newline), with `extra` (raw JSON members, or NULL) appended. */
int result_json(const struct bench_result *r, const char *extra, char *out, size_t outlen);

/** Wall-clock seconds (CLOCK_MONOTONIC). */
double bench_now(void);

/** This process's user and system CPU seconds. */
void bench_cpu(double *user, double *sys);

#endif
