/*
 * How a stream is cut into USB transfers: contract/src/stream-layout.ts in C, so the C pair
 * moves exactly the transfers the agent and the node host do (see that file for the ZLP rules).
 */
#ifndef FFS_BENCH_STREAM_LAYOUT_H
#define FFS_BENCH_STREAM_LAYOUT_H

#include <stdint.h>

/** The shape of a stream; transfer_size 0 is a stream of `zlp_transfers` zero-length packets. */
struct stream_shape {
	uint32_t transfer_size;
	uint64_t total_bytes;
	uint32_t zlp_transfers;
};

/** Largest transfer either end accepts (4 MiB), as MAX_TRANSFER_SIZE. */
#define STREAM_MAX_TRANSFER_SIZE (4u << 20)
/** Gadget-side default bound on bytes posted at once (the agent's DEFAULT_MAX_BYTES_IN_FLIGHT). */
#define STREAM_GADGET_MAX_IN_FLIGHT (16u << 20)
/** Host-side default bound (usb-stream.ts HOST_MAX_BYTES_IN_FLIGHT: usbfs_memory_mb is 16 host-wide). */
#define STREAM_HOST_MAX_IN_FLIGHT (12u << 20)

static inline uint64_t stream_transfer_count(const struct stream_shape *s)
{
	if (s->transfer_size == 0)
		return s->zlp_transfers;
	return (s->total_bytes + s->transfer_size - 1) / s->transfer_size;
}

static inline uint32_t stream_expected_length(const struct stream_shape *s, uint64_t k)
{
	uint64_t left;

	if (s->transfer_size == 0)
		return 0;
	left = s->total_bytes - k * s->transfer_size;
	return left < s->transfer_size ? (uint32_t)left : s->transfer_size;
}

static inline uint64_t stream_transfer_offset(const struct stream_shape *s, uint64_t k)
{
	return k * s->transfer_size;
}

static inline uint32_t stream_receive_length(uint32_t expected, uint32_t mps)
{
	if (expected == 0)
		return mps;
	return (expected + mps - 1) / mps * mps;
}

static inline uint32_t stream_slot_bytes(const struct stream_shape *s, int receiving, uint32_t mps)
{
	uint32_t largest = stream_expected_length(s, 0);

	return receiving ? stream_receive_length(largest, mps) : largest;
}

/* Transfers kept in flight: the depth asked for, bounded by the transfer count and a byte budget. */
static inline uint32_t stream_effective_depth(uint32_t depth, uint64_t transfers, uint32_t slot, uint64_t budget)
{
	uint64_t d = depth;

	if (slot > 0 && budget / slot < d)
		d = budget / slot;
	if (transfers < d)
		d = transfers;
	return d ? (uint32_t)d : 1;
}

#endif
