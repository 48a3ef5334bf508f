/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one data pattern of the tools: what nri-io, nri-uring and
 * nvme-ring perf --verify write, they all verify, and nri-io gen prints it
 * for dd and nvme-cli.
 *
 * Block LBA under SEED is a row of 64-bit little-endian words. Word 0 is
 * the LBA itself, so a block read from the wrong place names where it came
 * from; word i > 0 is (SEED << 32) ^ (LBA * 0x9e3779b97f4a7c15) ^ i. So
 * byte OFF of the block is byte OFF % 8 of word OFF / 8: a function of the
 * LBA, the byte offset in the block and the seed alone, the same for every
 * block size.
 */
#ifndef NRI_COMMON_PATTERN_H
#define NRI_COMMON_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

uint64_t pattern_word(uint32_t seed, uint64_t lba, uint32_t i);

/* Byte OFF of block LBA. */
uint8_t pattern_byte(uint32_t seed, uint64_t lba, uint32_t off);

/* The pattern of NLB blocks of LBA_SIZE bytes from LBA on, into buf. */
void pattern_fill(void *buf, uint64_t lba, uint32_t nlb, uint32_t lba_size,
		  uint32_t seed);

/*
 * Does the block of LBA_SIZE bytes at buf hold block LBA's pattern? When
 * not, *bad_off (if not NULL) is the first byte that differs.
 */
bool pattern_check(const void *buf, uint64_t lba, uint32_t lba_size,
		   uint32_t seed, uint32_t *bad_off);

/*
 * A block's metadata: byte OFF of block LBA's metadata is byte OFF of the
 * block's pattern under a seed of its own, so metadata read back with the
 * wrong block, or as data, shows. PI tuples are the library's
 * (nvmering_pi_generate()); pattern_meta_check() skips the len bytes at
 * skip_off (the tuple), skip_len 0 for none.
 */
void pattern_meta_fill(void *md, uint64_t lba, uint32_t ms, uint32_t seed);
bool pattern_meta_check(const void *md, uint64_t lba, uint32_t ms,
			uint32_t seed, uint32_t skip_off, uint32_t skip_len);

#endif /* NRI_COMMON_PATTERN_H */
