#include "stream-tally.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "pattern.h"

void tally_init(struct stream_tally *t, const struct stream_shape *shape, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	t->shape = shape;
	t->seed = seed;
	t->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	t->first_bad = -1;
}

void tally_sent(struct stream_tally *t, const uint8_t *data, uint32_t n)
{
	t->crc = (uint32_t)crc32(t->crc, data, n);
	t->bytes += n;
	t->transfers++;
}

int tally_received(struct stream_tally *t, uint64_t k, const uint8_t *data, uint32_t n)
{
	uint32_t expected = stream_expected_length(t->shape, k);
	uint64_t offset = stream_transfer_offset(t->shape, k);
	uint32_t common = n < expected ? n : expected;
	long bad = common ? pattern_verify(data, common, t->seed, offset) : -1;
	int ok = 1;

	t->crc = (uint32_t)crc32(t->crc, data, n);
	t->bytes += n;
	t->transfers++;
	if (bad >= 0) {
		ok = 0;
		if (t->first_bad < 0) {
			t->first_bad = (int64_t)(offset + (uint64_t)bad);
			snprintf(t->fault, sizeof(t->fault), "byte 0x%02x, expected 0x%02x (transfer %" PRIu64 ")",
				 data[bad], pattern_byte(t->seed, offset + (uint64_t)bad), k);
		}
	}
	if (n != expected) {
		ok = 0;
		if (t->first_bad < 0) {
			t->first_bad = (int64_t)(offset + common);
			snprintf(t->fault, sizeof(t->fault),
				 "transfer %" PRIu64 ": %" PRIu32 " bytes, expected %" PRIu32, k, n, expected);
		}
	}
	if (!ok)
		t->bad_transfers++;
	return ok ? 0 : -1;
}
