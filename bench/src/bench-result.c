#include "bench-result.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

void result_fail(struct bench_result *r, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (r->error_code[0])
		return;
	snprintf(r->error_code, sizeof(r->error_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->error_message, sizeof(r->error_message), fmt, ap);
	va_end(ap);
}

void result_fail_errno(struct bench_result *r, int err, const char *what)
{
	const char *name = strerrorname_np(err);

	result_fail(r, name ? name : "EIO", "%s: %s", what, strerror(err));
}

/* Append `s` as a JSON string. */
static size_t json_string(char *out, size_t len, size_t at, const char *s)
{
	at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, "\\%c", c);
		else if (c < 0x20)
			at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, "\\u%04x", c);
		else
			at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, "%c", c);
	}
	at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, "\"");
	return at;
}

#define APPEND(...) (at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, __VA_ARGS__))

int result_json(const struct bench_result *r, const char *extra, char *out, size_t len)
{
	const struct stream_tally *t = &r->tally;
	size_t at = 0;

	APPEND("{\"role\":\"%s\",\"kind\":\"%s\",\"mode\":\"%s\",\"state\":\"%s\"", r->role,
	       bench_kind_name(r->spec.kind), bench_mode_name(r->spec.mode), r->error_code[0] ? "failed" : "done");
	APPEND(",\"transferSize\":%" PRIu32 ",\"totalBytes\":%" PRIu64 ",\"plannedTransfers\":%" PRIu64,
	       r->spec.shape.transfer_size, r->spec.shape.total_bytes, r->planned_transfers);
	APPEND(",\"depth\":%" PRIu32 ",\"maxPacketSize\":%" PRIu32, r->depth, r->max_packet_size);
	APPEND(",\"bytes\":%" PRIu64 ",\"transfers\":%" PRIu64 ",\"checksum\":\"%08" PRIx32 "\"", t->bytes,
	       t->transfers, t->crc);
	if (t->first_bad >= 0) {
		APPEND(",\"firstBadOffset\":%" PRId64 ",\"fault\":", t->first_bad);
		at = json_string(out, len, at, t->fault);
	} else {
		APPEND(",\"firstBadOffset\":null");
	}
	APPEND(",\"badTransfers\":%" PRIu64, t->bad_transfers);
	APPEND(",\"seconds\":%.6f,\"cpuUserSeconds\":%.6f,\"cpuSystemSeconds\":%.6f", r->seconds, r->cpu_user_seconds,
	       r->cpu_system_seconds);
	if (r->error_code[0]) {
		APPEND(",\"error\":{\"code\":");
		at = json_string(out, len, at, r->error_code);
		APPEND(",\"message\":");
		at = json_string(out, len, at, r->error_message);
		APPEND("}");
	}
	if (extra)
		APPEND(",%s", extra);
	APPEND("}");
	return at < len ? (int)at : -1;
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_cpu(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
