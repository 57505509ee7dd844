/*
 * The integrity oracle's pattern, ported from contract/src/pattern.ts byte for byte:
 * byte(seed, o) = T_seed[o mod P], P = 1,048,573, where T_seed is P bytes of xorshift128 output
 * (state seeded by splitmix32 of the seed), each 32-bit word stored little-endian.
 */
#ifndef FFS_BENCH_PATTERN_H
#define FFS_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/** The pattern's period in bytes (prime, so it shares no factor with power-of-two transfer sizes). */
#define PATTERN_PERIOD 1048573u

/** The table of `seed`: PATTERN_PERIOD bytes, made on first use and kept until another seed is asked for. */
const uint8_t *pattern_table(uint32_t seed);

/** Fill `buf` with the pattern bytes of stream offsets [offset, offset + len). */
void pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t offset);

/** Index into `buf` of the first byte that differs from the pattern, or -1 when all match. */
long pattern_verify(const uint8_t *buf, size_t len, uint32_t seed, uint64_t offset);

/** The expected byte at one stream offset (for messages). */
uint8_t pattern_byte(uint32_t seed, uint64_t offset);

#endif
