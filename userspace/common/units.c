// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int parse_seconds(const char *s, double *secs)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{ "", 1 }, { "s", 1 }, { "us", 1e-6 }, { "ms", 1e-3 },
		{ "m", 60 }, { "h", 3600 }, { "d", 86400 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !isfinite(v))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix)) {
			*secs = v * units[i].scale;
			return 0;
		}
	}
	return -1;
}
