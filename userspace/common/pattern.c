// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>

#include "pattern.h"

uint64_t pattern_word(uint32_t seed, uint64_t lba, uint32_t i)
{
	if (!i)
		return lba;
	return ((uint64_t)seed << 32) ^ (lba * 0x9e3779b97f4a7c15ULL) ^ i;
}

uint8_t pattern_byte(uint32_t seed, uint64_t lba, uint32_t off)
{
	return (uint8_t)(pattern_word(seed, lba, off / 8) >> (off % 8 * 8));
}

void pattern_fill(void *buf, uint64_t lba, uint32_t nlb, uint32_t lba_size,
		  uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t k, i;

	for (k = 0; k < nlb; k++, lba++) {
		for (i = 0; i < lba_size / 8; i++) {
			uint64_t w = htole64(pattern_word(seed, lba, i));

			memcpy(p, &w, 8);
			p += 8;
		}
	}
}

bool pattern_check(const void *buf, uint64_t lba, uint32_t lba_size,
		   uint32_t seed, uint32_t *bad_off)
{
	const uint8_t *p = buf;
	uint32_t i, b;

	for (i = 0; i < lba_size / 8; i++) {
		uint64_t w = htole64(pattern_word(seed, lba, i));

		if (!memcmp(p + (size_t)i * 8, &w, 8))
			continue;
		for (b = 0; b < 8; b++)
			if (p[(size_t)i * 8 + b] != pattern_byte(seed, lba, i * 8 + b))
				break;
		if (bad_off)
			*bad_off = i * 8 + b;
		return false;
	}
	return true;
}

#define PATTERN_META_SEED	0x6d657461U	/* "meta" */

void pattern_meta_fill(void *md, uint64_t lba, uint32_t ms, uint32_t seed)
{
	uint8_t *p = md;
	uint32_t i;

	for (i = 0; i < ms; i++)
		p[i] = pattern_byte(seed ^ PATTERN_META_SEED, lba, i);
}

bool pattern_meta_check(const void *md, uint64_t lba, uint32_t ms,
			uint32_t seed, uint32_t skip_off, uint32_t skip_len)
{
	const uint8_t *p = md;
	uint32_t i;

	for (i = 0; i < ms; i++) {
		if (i >= skip_off && i < skip_off + skip_len)
			continue;
		if (p[i] != pattern_byte(seed ^ PATTERN_META_SEED, lba, i))
			return false;
	}
	return true;
}
