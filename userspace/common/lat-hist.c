// SPDX-License-Identifier: GPL-2.0
#include <math.h>

#include "lat-hist.h"

const double lat_pcts[LAT_PCTS_NR] = {
	1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
};

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

void lat_stats_merge(struct lat_stats *into, const struct lat_stats *from)
{
	if (!from->n)
		return;
	if (!into->n || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->n += from->n;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
	lat_hist_merge(&into->h, &from->h);
}

double lat_stats_mean(const struct lat_stats *s)
{
	return s->n ? s->sum / (double)s->n : 0;
}

double lat_stats_stdev(const struct lat_stats *s)
{
	double n = (double)s->n, var;

	if (s->n < 2)
		return 0;
	var = (s->sumsq - s->sum * s->sum / n) / (n - 1);
	return var > 0 ? sqrt(var) : 0;
}
