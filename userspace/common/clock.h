/* SPDX-License-Identifier: GPL-2.0 */
/* The tools' clock: CLOCK_MONOTONIC in nanoseconds. */
#ifndef NRI_COMMON_CLOCK_H
#define NRI_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* NRI_COMMON_CLOCK_H */
