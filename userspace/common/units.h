/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Units in the tools' options: durations with fio's suffixes.
 */
#ifndef NRI_COMMON_UNITS_H
#define NRI_COMMON_UNITS_H

/*
 * A duration: a number with an optional suffix, us, ms, s (the default),
 * m, h or d, as fio takes them ("10s", "1m", "1.5"); into *secs. Returns
 * 0, or -1 when s is not one or is not positive.
 */
int parse_seconds(const char *s, double *secs);

#endif /* NRI_COMMON_UNITS_H */
