/*
 * The accounting of one stream end, as contract/src/stream-tally.ts: bytes and transfers
 * moved, a CRC-32 (zlib's) of the bytes in stream order so both ends can be compared, and on a
 * receiving end the first fault the pattern oracle found. Constant memory.
 */
#ifndef FFS_BENCH_STREAM_TALLY_H
#define FFS_BENCH_STREAM_TALLY_H

#include <stdint.h>

#include "stream-layout.h"

struct stream_tally {
	const struct stream_shape *shape;
	uint32_t seed;
	uint64_t bytes;
	uint64_t transfers;
	uint32_t crc;
	/** Stream offset of the first wrong, missing or extra byte; -1 while all were right. */
	int64_t first_bad;
	/** What was wrong there. */
	char fault[160];
	/** Transfers with a wrong length or wrong bytes. */
	uint64_t bad_transfers;
};

void tally_init(struct stream_tally *t, const struct stream_shape *shape, uint32_t seed);

/** Count transfer k as sent: `data` is exactly what went out. */
void tally_sent(struct stream_tally *t, const uint8_t *data, uint32_t n);

/** Check received transfer k (`n` bytes) against its expected length and the pattern; 0 when right. */
int tally_received(struct stream_tally *t, uint64_t k, const uint8_t *data, uint32_t n);

#endif
