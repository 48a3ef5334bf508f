/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Blocks as a ring's namespace lays them out, for the tools that write and
 * verify the common pattern: each block's data, then (extended LBAs) its
 * metadata in the data buffer, or (separate metadata) its metadata in a
 * buffer of its own. The metadata holds the metadata pattern and, with
 * protection information, the PI tuple the library computes, unless PRACT
 * has the controller insert and strip it.
 */
#ifndef NRI_COMMON_BLOCKS_H
#define NRI_COMMON_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "nvmering.h"

struct blocks {
	uint32_t lba;		/* data bytes of a block */
	uint32_t ms;		/* metadata bytes of a block */
	uint32_t moved;		/* of those, what commands move */
	uint32_t block;		/* bytes of a block in the data buffer */
	uint32_t prinfo;	/* PRINFO of the commands */
	uint32_t pi_off, pi_len; /* the PI tuple in the metadata */
	bool ext;		/* metadata in the data buffer */
};

/* The layout of r's namespace; prinfo < 0: check what the PI type has. */
void blocks_init(struct blocks *b, const struct nvmering *r, int prinfo);

/* Bytes of separate metadata n blocks take (0 when there is none). */
static inline uint32_t blocks_meta_len(const struct blocks *b, uint32_t n)
{
	return b->ext ? 0 : n * b->moved;
}

/* Block k's metadata. */
uint8_t *blocks_md(const struct blocks *b, uint8_t *data, uint8_t *meta,
		   uint32_t k);

/* The pattern of n blocks from lba into data (and meta). */
void blocks_fill(const struct blocks *b, const struct nvmering *r,
		 uint8_t *data, uint8_t *meta, uint64_t lba, uint32_t n,
		 uint32_t seed);

/*
 * NULL when n blocks from lba hold the pattern, else what is wrong
 * ("data", "metadata", "PI tuple") with *k the block and *off the byte.
 */
const char *blocks_check(const struct blocks *b, const struct nvmering *r,
			 uint8_t *data, uint8_t *meta, uint64_t lba,
			 uint32_t n, uint32_t seed, uint32_t *k, uint32_t *off);

#endif /* NRI_COMMON_BLOCKS_H */
