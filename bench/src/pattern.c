#include "pattern.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *table;
static uint32_t table_seed;

static uint32_t splitmix32(uint32_t x)
{
	x += 0x9e3779b9u;
	x = (x ^ (x >> 16)) * 0x85ebca6bu;
	x = (x ^ (x >> 13)) * 0xc2b2ae35u;
	return x ^ (x >> 16);
}

static void make_table(uint8_t *t, uint32_t seed)
{
	uint32_t a = splitmix32(seed) | 1;
	uint32_t b = splitmix32(a ^ 0x68e31da4u);
	uint32_t c = splitmix32(b ^ 0xb5297a4du);
	uint32_t d = splitmix32(c ^ 0x1b56c4e9u);
	size_t words = (PATTERN_PERIOD + 3) / 4;

	for (size_t i = 0; i < words; i++) {
		uint32_t x = a ^ (a << 11);

		a = b;
		b = c;
		c = d;
		d = d ^ (d >> 19) ^ (x ^ (x >> 8));
		/* Little-endian whatever the CPU: the TS table is a Uint32Array viewed as bytes on x86/ARM. */
		for (size_t j = 0; j < 4 && 4 * i + j < PATTERN_PERIOD; j++)
			t[4 * i + j] = (uint8_t)(d >> (8 * j));
	}
}

const uint8_t *pattern_table(uint32_t seed)
{
	if (!table) {
		table = malloc(PATTERN_PERIOD);
		if (!table)
			abort();
	} else if (table_seed == seed) {
		return table;
	}
	make_table(table, seed);
	table_seed = seed;
	return table;
}

void pattern_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t offset)
{
	const uint8_t *t = pattern_table(seed);
	size_t pos = (size_t)(offset % PATTERN_PERIOD);

	while (len) {
		size_t n = PATTERN_PERIOD - pos < len ? PATTERN_PERIOD - pos : len;

		memcpy(buf, t + pos, n);
		buf += n;
		len -= n;
		pos = 0;
	}
}

long pattern_verify(const uint8_t *buf, size_t len, uint32_t seed, uint64_t offset)
{
	const uint8_t *t = pattern_table(seed);
	size_t pos = (size_t)(offset % PATTERN_PERIOD);
	size_t i = 0;

	while (i < len) {
		size_t n = PATTERN_PERIOD - pos < len - i ? PATTERN_PERIOD - pos : len - i;

		if (memcmp(buf + i, t + pos, n) != 0) {
			for (size_t k = 0; k < n; k++)
				if (buf[i + k] != t[pos + k])
					return (long)(i + k);
		}
		i += n;
		pos = 0;
	}
	return -1;
}

uint8_t pattern_byte(uint32_t seed, uint64_t offset)
{
	return pattern_table(seed)[offset % PATTERN_PERIOD];
}
