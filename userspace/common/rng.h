/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tools' random numbers: xorshift64* (Vigna), cheap and good enough to
 * pick blocks and to fuzz. Not for anything secret. The same seed gives the
 * same sequence, so a run can be repeated.
 */
#ifndef NRI_COMMON_RNG_H
#define NRI_COMMON_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s;		/* never 0 */
};

/* Any seed, 0 included; nearby seeds give unrelated sequences. */
void rng_seed(struct rng *r, uint64_t seed);

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* A number below n; 0 when n is 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

void rng_bytes(struct rng *r, void *buf, size_t len);

#endif /* NRI_COMMON_RNG_H */
