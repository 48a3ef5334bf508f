/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test clients' checks: check(ok, fmt, ...) prints "<what>: ok" or
 * "<what>: FAILED" and counts the failures in check_failures.
 */
#ifndef NRI_COMMON_CHECK_H
#define NRI_COMMON_CHECK_H

extern int check_failures;

void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* NRI_COMMON_CHECK_H */
