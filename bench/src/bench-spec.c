#include "bench-spec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = { "source", "sink" };
static const char *const modes[] = { "copy", "aio", "mmap", "dmabuf" };

const char *bench_kind_name(enum bench_kind k)
{
	return kinds[k];
}

const char *bench_mode_name(enum bench_mode m)
{
	return modes[m];
}

static int lookup(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int number(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	*out = strtoull(v, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

int bench_spec_parse(const char *text, struct bench_spec *spec, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	unsigned seen = 0;
	uint64_t v;

	memset(spec, 0, sizeof(*spec));
	spec->timeout_ms = 120000;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "spec longer than %zu bytes", sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, text);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *val = strchr(tok, '=');
		int bad = 0;

		if (!val) {
			snprintf(err, errlen, "'%s' is not key=value", tok);
			return -1;
		}
		*val++ = '\0';
		if (!strcmp(tok, "kind")) {
			int i = lookup(val, kinds, 2);

			bad = i < 0;
			spec->kind = (enum bench_kind)(i < 0 ? 0 : i);
			seen |= 1;
		} else if (!strcmp(tok, "mode")) {
			int i = lookup(val, modes, 4);

			bad = i < 0;
			spec->mode = (enum bench_mode)(i < 0 ? 0 : i);
			seen |= 2;
		} else if (!strcmp(tok, "size")) {
			bad = number(val, STREAM_MAX_TRANSFER_SIZE, &v);
			spec->shape.transfer_size = (uint32_t)v;
			seen |= 4;
		} else if (!strcmp(tok, "total")) {
			bad = number(val, 64ull << 30, &v);
			spec->shape.total_bytes = v;
			seen |= 8;
		} else if (!strcmp(tok, "transfers")) {
			bad = number(val, 1u << 20, &v);
			spec->shape.zlp_transfers = (uint32_t)v;
		} else if (!strcmp(tok, "depth")) {
			bad = number(val, 256, &v) || v < 1;
			spec->depth = (uint32_t)v;
			seen |= 16;
		} else if (!strcmp(tok, "seed")) {
			bad = number(val, UINT32_MAX, &v);
			spec->seed = (uint32_t)v;
			seen |= 32;
		} else if (!strcmp(tok, "timeout_ms")) {
			bad = number(val, 24u * 3600 * 1000, &v) || v < 1;
			spec->timeout_ms = (uint32_t)v;
		} else if (!strcmp(tok, "max_in_flight")) {
			bad = number(val, 1ull << 32, &v);
			spec->max_in_flight = v;
		} else {
			snprintf(err, errlen, "unknown key '%s'", tok);
			return -1;
		}
		if (bad) {
			snprintf(err, errlen, "bad value for %s: '%s'", tok, val);
			return -1;
		}
	}
	if (seen != 63) {
		snprintf(err, errlen, "kind, mode, size, total, depth and seed are all required");
		return -1;
	}
	if (spec->shape.transfer_size == 0 && (spec->shape.total_bytes != 0 || spec->shape.zlp_transfers == 0)) {
		snprintf(err, errlen, "a zero-length-packet stream (size=0) needs total=0 and transfers=N");
		return -1;
	}
	if (spec->shape.transfer_size != 0 && spec->shape.zlp_transfers != 0) {
		snprintf(err, errlen, "transfers is only for zero-length-packet streams (size=0)");
		return -1;
	}
	if (spec->mode == BENCH_DMABUF && spec->shape.transfer_size == 0) {
		snprintf(err, errlen, "dmabuf cannot move zero-length transfers");
		return -1;
	}
	return 0;
}

int bench_spec_format(const struct bench_spec *s, char *out, size_t outlen)
{
	return snprintf(out, outlen,
			"kind=%s mode=%s size=%" PRIu32 " total=%" PRIu64 " transfers=%" PRIu32 " depth=%" PRIu32
			" seed=%" PRIu32 " timeout_ms=%" PRIu32 " max_in_flight=%" PRIu64,
			kinds[s->kind], modes[s->mode], s->shape.transfer_size, s->shape.total_bytes,
			s->shape.zlp_transfers, s->depth, s->seed, s->timeout_ms, s->max_in_flight);
}
