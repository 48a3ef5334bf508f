// SPDX-License-Identifier: GPL-2.0
#include "blocks.h"
#include "pattern.h"

void blocks_init(struct blocks *b, const struct nvmering *r, int prinfo)
{
	b->lba = 1U << r->info.lba_shift;
	b->ms = nvmering_meta_size(r);
	b->ext = nvmering_meta_extended(r);
	if (prinfo >= 0)
		b->prinfo = (uint32_t)prinfo;
	else if (r->info.pi_type)
		b->prinfo = NVMERING_PRINFO_PRCHK_GUARD |
			    (r->info.pi_type != 3 ? NVMERING_PRINFO_PRCHK_REF : 0);
	else
		b->prinfo = 0;
	b->moved = nvmering_meta_moved(r, b->prinfo);
	b->block = b->lba + (b->ext ? b->moved : 0);
	b->pi_len = r->info.pi_type ? r->info.pi_size : 0;
	b->pi_off = (r->info.meta_flags & NVME_RING_META_F_PI_FIRST) ? 0 :
		    b->ms - b->pi_len;
}

uint8_t *blocks_md(const struct blocks *b, uint8_t *data, uint8_t *meta,
		   uint32_t k)
{
	return b->ext ? data + (size_t)k * b->block + b->lba :
			meta + (size_t)k * b->ms;
}

/* The tuples are the test's when it has them, not the controller's. */
static bool blocks_own_pi(const struct blocks *b)
{
	return b->pi_len && b->moved && !(b->prinfo & NVMERING_PRINFO_PRACT);
}

void blocks_fill(const struct blocks *b, const struct nvmering *r,
		 uint8_t *data, uint8_t *meta, uint64_t lba, uint32_t n,
		 uint32_t seed)
{
	uint32_t k;

	for (k = 0; k < n; k++) {
		pattern_fill(data + (size_t)k * b->block, lba + k, 1, b->lba,
			     seed);
		if (b->moved)
			pattern_meta_fill(blocks_md(b, data, meta, k), lba + k,
					  b->ms, seed);
	}
	if (blocks_own_pi(b))
		nvmering_pi_generate(r, data, b->ext ? NULL : meta, lba, n, 0);
}

const char *blocks_check(const struct blocks *b, const struct nvmering *r,
			 uint8_t *data, uint8_t *meta, uint64_t lba,
			 uint32_t n, uint32_t seed, uint32_t *k, uint32_t *off)
{
	int bad;

	*off = 0;
	for (*k = 0; *k < n; (*k)++) {
		if (!pattern_check(data + (size_t)*k * b->block, lba + *k,
				   b->lba, seed, off))
			return "data";
		if (b->moved &&
		    !pattern_meta_check(blocks_md(b, data, meta, *k), lba + *k,
					b->ms, seed, b->pi_off, b->pi_len))
			return "metadata";
	}
	if (blocks_own_pi(b)) {
		bad = nvmering_pi_verify(r, data, b->ext ? NULL : meta, lba, n,
					 0);
		if (bad > 0) {
			*k = (uint32_t)bad - 1;
			return "PI tuple";
		}
	}
	return NULL;
}
