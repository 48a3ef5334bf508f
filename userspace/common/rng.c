// SPDX-License-Identifier: GPL-2.0
#include "rng.h"

/* splitmix64 of the seed: the state is never 0 and seeds 1, 2, 3 differ */
void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	r->s = z ? z : 1;
}

void rng_bytes(struct rng *r, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len--)
		*b++ = (uint8_t)(rng_next(r) >> 56);
}
