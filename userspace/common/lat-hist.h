/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency histogram of the tools: log-linear, 32 buckets per power of two
 * of nanoseconds (about 3% resolution), exact below 32 ns. Plain counters,
 * so a histogram can live in memory shared between processes and be summed
 * with lat_hist_merge().
 */
#ifndef NRI_COMMON_LAT_HIST_H
#define NRI_COMMON_LAT_HIST_H

#include <stdint.h>

#define LAT_HIST_SUB_BITS	5
#define LAT_HIST_SUB		(1U << LAT_HIST_SUB_BITS)
#define LAT_HIST_BUCKETS	((64 - LAT_HIST_SUB_BITS + 1) * LAT_HIST_SUB)

struct lat_hist {
	uint64_t n[LAT_HIST_BUCKETS];
};

static inline unsigned int lat_hist_bucket(uint64_t ns)
{
	unsigned int msb, g;

	if (ns < LAT_HIST_SUB)
		return (unsigned int)ns;
	msb = 63 - (unsigned int)__builtin_clzll(ns);
	g = msb - LAT_HIST_SUB_BITS + 1;
	return g * LAT_HIST_SUB +
	       (unsigned int)((ns >> (g - 1)) & (LAT_HIST_SUB - 1));
}

static inline void lat_hist_add(struct lat_hist *h, uint64_t ns)
{
	h->n[lat_hist_bucket(ns)]++;
}

/* The middle of bucket b, in nanoseconds. */
double lat_hist_value(unsigned int b);

uint64_t lat_hist_count(const struct lat_hist *h);

void lat_hist_merge(struct lat_hist *into, const struct lat_hist *from);

/* The latency (ns) below which pct percent of the samples lie; 0 if none. */
double lat_hist_pct(const struct lat_hist *h, double pct);

/*
 * A histogram with the exact count, minimum, maximum, sum and sum of
 * squares beside it: min/max/mean/stdev are exact, percentiles the
 * histogram's. Plain fields too, for shared memory.
 */
struct lat_stats {
	uint64_t n, min, max;
	double sum, sumsq;
	struct lat_hist h;
};

static inline void lat_stats_add(struct lat_stats *s, uint64_t ns)
{
	if (!s->n || ns < s->min)
		s->min = ns;
	if (ns > s->max)
		s->max = ns;
	s->n++;
	s->sum += (double)ns;
	s->sumsq += (double)ns * (double)ns;
	lat_hist_add(&s->h, ns);
}

void lat_stats_merge(struct lat_stats *into, const struct lat_stats *from);
double lat_stats_mean(const struct lat_stats *s);
/* The sample standard deviation, as fio reports it; 0 below 2 samples. */
double lat_stats_stdev(const struct lat_stats *s);

/* fio's default percentiles, for reports in its shape */
#define LAT_PCTS_NR	17
extern const double lat_pcts[LAT_PCTS_NR];

#endif /* NRI_COMMON_LAT_HIST_H */
