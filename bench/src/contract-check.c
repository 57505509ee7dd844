/*
 * contract-check: the C pair's copy of the stream contract (stream-layout.h, stream-tally.c,
 * pattern.c) on the golden vectors of contract/src/golden-vectors.ts. It reads one case per line
 * on stdin and prints one line per case, in the format that file documents; the unit test
 * compares the lines with what the TypeScript contract computes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "stream-layout.h"
#include "stream-tally.h"

#define MAX_LINE 4096

static void print_transfer(const struct stream_shape *s, uint64_t k, uint32_t mps)
{
	uint32_t len = stream_expected_length(s, k);

	printf("%" PRIu64 "=%" PRIu64 "+%" PRIu32 "/%" PRIu32, k, stream_transfer_offset(s, k), len,
	       stream_receive_length(len, mps));
}

static int layout(const char *args)
{
	struct stream_shape s;
	uint32_t mps, depth, send, receive;
	uint64_t n, budget, ks[4];
	int i, j;

	if (sscanf(args, "%" SCNu32 " %" SCNu64 " %" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNu64, &s.transfer_size,
		   &s.total_bytes, &s.zlp_transfers, &mps, &depth, &budget) != 6)
		return -1;
	n = stream_transfer_count(&s);
	ks[0] = 0;
	ks[1] = 1;
	ks[2] = n - 2;
	ks[3] = n - 1;
	printf("count %" PRIu64 ";", n);
	for (i = 0; i < 4; i++) {
		int seen = 0;

		/* n - 2 and n - 1 wrap below zero for short streams: only indices inside the stream count. */
		if (ks[i] >= n)
			continue;
		for (j = 0; j < i; j++)
			seen |= ks[j] == ks[i] && ks[j] < n;
		if (seen)
			continue;
		putchar(' ');
		print_transfer(&s, ks[i], mps);
	}
	send = stream_slot_bytes(&s, 0, mps);
	receive = stream_slot_bytes(&s, 1, mps);
	printf("; slot %" PRIu32 "/%" PRIu32 "; depth %" PRIu32 "/%" PRIu32 "\n", send, receive,
	       stream_effective_depth(depth, n, send, budget), stream_effective_depth(depth, n, receive, budget));
	return 0;
}

static int tally(const char *args)
{
	struct stream_shape s;
	struct stream_tally received, sent;
	uint32_t seed;
	int used;

	if (sscanf(args, "%" SCNu32 " %" SCNu64 " %" SCNu32 " %" SCNu32 "%n", &s.transfer_size, &s.total_bytes,
		   &s.zlp_transfers, &seed, &used) != 4)
		return -1;
	tally_init(&received, &s, seed);
	tally_init(&sent, &s, seed);
	for (args += used; *args;) {
		uint64_t k;
		uint32_t len;
		long flip;
		uint8_t *data;

		if (sscanf(args, " %" SCNu64 ":%" SCNu32 ":%ld%n", &k, &len, &flip, &used) != 3)
			break;
		args += used;
		data = malloc(len ? len : 1);
		if (!data)
			return -1;
		pattern_fill(data, len, seed, stream_transfer_offset(&s, k));
		if (flip >= 0 && (uint32_t)flip < len)
			data[flip] ^= 0xff;
		tally_received(&received, k, data, len);
		tally_sent(&sent, data, len);
		free(data);
	}
	printf("received %" PRIu64 " %" PRIu64 " %08" PRIx32 " %" PRId64 " %" PRIu64 " \"%s\"; sent %08" PRIx32 "\n",
	       received.bytes, received.transfers, received.crc, received.first_bad, received.bad_transfers,
	       received.first_bad < 0 ? "" : received.fault, sent.crc);
	return 0;
}

int main(void)
{
	char line[MAX_LINE];

	while (fgets(line, sizeof(line), stdin)) {
		int r = -1;

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "layout ", 7))
			r = layout(line + 7);
		else if (!strncmp(line, "tally ", 6))
			r = tally(line + 6);
		if (r) {
			fprintf(stderr, "contract-check: cannot read '%s'\n", line);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
