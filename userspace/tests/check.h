/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host unit tests' checks: CHECK(cond, fmt, ...) counts and prints a
 * failure, CHECK_EQ(a, b) compares two numbers, check_done() prints the
 * closing "N passed, N failed" line and gives the exit status.
 */
#ifndef NRI_TESTS_CHECK_H
#define NRI_TESTS_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static unsigned int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);		\
	CHECK(_a == _b, "%" PRIu64 " (0x%" PRIx64 ") != %" PRIu64 " (0x%" PRIx64 ")", \
	      _a, _a, _b, _b);						\
} while (0)

static inline int check_done(void)
{
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif /* NRI_TESTS_CHECK_H */
