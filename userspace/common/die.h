/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error exit of the tools: "PROGRAM: WHAT: strerror(ERR)" on stderr, exit 1.
 * ERR may be an errno or a -errno.
 */
#ifndef NRI_COMMON_DIE_H
#define NRI_COMMON_DIE_H

void die(const char *what, int err) __attribute__((noreturn));

#endif /* NRI_COMMON_DIE_H */
