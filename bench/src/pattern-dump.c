/*
 * pattern-dump: the C pattern for the unit test that checks it against the TypeScript one.
 *   pattern-dump fill SEED OFFSET LENGTH     writes the pattern bytes to stdout
 *   pattern-dump verify SEED OFFSET < data   prints the index of the first wrong byte, or -1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

int main(int argc, char **argv)
{
	uint32_t seed;
	unsigned long long offset;

	if (argc < 4)
		goto usage;
	seed = (uint32_t)strtoul(argv[2], NULL, 0);
	offset = strtoull(argv[3], NULL, 0);
	if (!strcmp(argv[1], "fill") && argc == 5) {
		size_t len = strtoull(argv[4], NULL, 0);
		uint8_t *buf = malloc(len ? len : 1);

		if (!buf)
			return 1;
		pattern_fill(buf, len, seed, offset);
		return fwrite(buf, 1, len, stdout) == len ? 0 : 1;
	}
	if (!strcmp(argv[1], "verify") && argc == 4) {
		size_t cap = 1 << 20, len = 0, n;
		uint8_t *buf = malloc(cap);

		while (buf && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
			len += n;
			if (len == cap)
				buf = realloc(buf, cap *= 2);
		}
		if (!buf)
			return 1;
		printf("%ld\n", pattern_verify(buf, len, seed, offset));
		return 0;
	}
usage:
	fprintf(stderr, "usage: pattern-dump fill SEED OFFSET LENGTH | verify SEED OFFSET < data\n");
	return 2;
}
