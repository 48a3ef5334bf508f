// SPDX-License-Identifier: GPL-2.0
#include "lat-hist.h"

double lat_hist_value(unsigned int b)
{
	unsigned int g = b / LAT_HIST_SUB, m = b % LAT_HIST_SUB;

	if (!g)
		return m;
	return (double)((uint64_t)(LAT_HIST_SUB + m) << (g - 1)) +
	       (double)(1ULL << (g - 1)) / 2;
}

uint64_t lat_hist_count(const struct lat_hist *h)
{
	uint64_t total = 0;
	unsigned int b;

	for (b = 0; b < LAT_HIST_BUCKETS; b++)
		total += h->n[b];
	return total;
}

void lat_hist_merge(struct lat_hist *into, const struct lat_hist *from)
{
	unsigned int b;

	for (b = 0; b < LAT_HIST_BUCKETS; b++)
		into->n[b] += from->n[b];
}

double lat_hist_pct(const struct lat_hist *h, double pct)
{
	uint64_t total = lat_hist_count(h), want, seen = 0;
	unsigned int b;

	if (!total)
		return 0;
	want = (uint64_t)((double)total * pct / 100.0);
	if (want >= total)
		want = total - 1;
	for (b = 0; b < LAT_HIST_BUCKETS; b++) {
		seen += h->n[b];
		if (seen > want)
			return lat_hist_value(b);
	}
	return 0;
}
