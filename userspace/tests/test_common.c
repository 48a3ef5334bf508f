// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the tools' shared code (userspace/common): the data
 * pattern every tool writes and verifies, the random numbers, the latency
 * histogram and statistics, durations and the NVMe command builders.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lat-hist.h"
#include "nvme-cmd.h"
#include "pattern.h"
#include "rng.h"
#include "units.h"

static void test_pattern(void)
{
	static const uint32_t sizes[] = { 512, 4096 };
	uint8_t buf[3 * 4096];
	uint32_t s, off, bad;
	uint64_t w;

	for (s = 0; s < 2; s++) {
		uint32_t lbsz = sizes[s];

		pattern_fill(buf, 1000, 3, lbsz, 7);
		/* word 0 is the LBA, little-endian */
		memcpy(&w, buf + lbsz, 8);
		CHECK_EQ(le64toh(w), 1001);
		/* a byte is a function of (seed, lba, offset) alone */
		for (off = 0; off < lbsz; off += 13)
			CHECK_EQ(buf[2 * lbsz + off], pattern_byte(7, 1002, off));
		CHECK(pattern_check(buf, 1000, lbsz, 7, &bad), "block 0");
		CHECK(pattern_check(buf + 2 * lbsz, 1002, lbsz, 7, NULL), "block 2");
		CHECK(!pattern_check(buf, 1001, lbsz, 7, &bad), "wrong LBA");
		CHECK_EQ(bad, 0);
		CHECK(!pattern_check(buf, 1000, lbsz, 8, &bad), "wrong seed");
		CHECK_EQ(bad, 12);	/* the seed is in the upper half */
		buf[lbsz + 301] ^= 1;
		CHECK(!pattern_check(buf + lbsz, 1001, lbsz, 7, &bad), "flipped bit");
		CHECK_EQ(bad, 301);
	}
	/* the same block whatever size of command wrote it */
	pattern_fill(buf, 50, 8, 512, 3);
	CHECK(pattern_check(buf + 7 * 512, 57, 512, 3, NULL), "8-block fill, block 7");
}

static void test_rng(void)
{
	struct rng a, b;
	uint64_t x, hits[8] = { 0 };
	unsigned int i, same = 0;

	rng_seed(&a, 0);
	CHECK(a.s != 0, "seed 0");
	rng_seed(&a, 5);
	rng_seed(&b, 5);
	for (i = 0; i < 1000; i++)
		same += rng_next(&a) == rng_next(&b);
	CHECK_EQ(same, 1000);
	rng_seed(&b, 6);
	for (i = 0, same = 0; i < 1000; i++)
		same += rng_next(&a) == rng_next(&b);
	CHECK(same < 5, "seeds 5 and 6 agree %u times", same);
	CHECK_EQ(rng_below(&a, 0), 0);
	for (i = 0; i < 8000; i++) {
		x = rng_below(&a, 8);
		CHECK(x < 8, "below 8: %" PRIu64, x);
		hits[x & 7]++;
	}
	for (i = 0; i < 8; i++)
		CHECK(hits[i] > 800 && hits[i] < 1200, "bucket %u: %" PRIu64, i, hits[i]);
}

static void test_hist(void)
{
	struct lat_hist *h = calloc(1, sizeof(*h)), *t = calloc(1, sizeof(*t));
	uint64_t v;
	unsigned int i;
	double p;

	if (!h || !t)
		exit(2);
	CHECK(lat_hist_pct(h, 50) == 0, "empty");
	/* every bucket's value lands in that bucket, buckets grow */
	for (i = 1; i < LAT_HIST_BUCKETS - LAT_HIST_SUB; i++) {
		CHECK_EQ(lat_hist_bucket((uint64_t)lat_hist_value(i)), i);
		CHECK(lat_hist_value(i) > lat_hist_value(i - 1), "bucket %u", i);
	}
	/* within 3% of the value */
	for (v = 1; v < (1ULL << 40); v = v * 3 + 1) {
		p = lat_hist_value(lat_hist_bucket(v));
		CHECK(p > (double)v * 0.97 && p < (double)v * 1.03 + 1,
		      "%" PRIu64 " -> %.0f", v, p);
	}
	for (i = 1; i <= 100; i++)
		lat_hist_add(h, (uint64_t)i * 1000);
	CHECK_EQ(lat_hist_count(h), 100);
	p = lat_hist_pct(h, 50);
	CHECK(p > 49000 && p < 53000, "p50 %.0f", p);
	p = lat_hist_pct(h, 99);
	CHECK(p > 97000 && p < 103000, "p99 %.0f", p);
	lat_hist_add(t, 5);
	lat_hist_merge(t, h);
	CHECK_EQ(lat_hist_count(t), 101);
	CHECK(lat_hist_pct(t, 0) == 5, "p0 %.0f", lat_hist_pct(t, 0));
	free(h);
	free(t);
}

static void test_stats(void)
{
	struct lat_stats *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	unsigned int i;

	if (!a || !b)
		exit(2);
	CHECK(lat_stats_mean(a) == 0 && lat_stats_stdev(a) == 0, "empty");
	/* 2, 4, 4, 4, 5, 5, 7, 9 us: mean 5, sample stdev sqrt(32/7) */
	lat_stats_add(a, 2000);
	lat_stats_add(a, 4000);
	lat_stats_add(a, 4000);
	lat_stats_add(a, 4000);
	lat_stats_add(b, 9000);
	lat_stats_add(b, 5000);
	lat_stats_add(b, 5000);
	lat_stats_add(b, 7000);
	CHECK_EQ(b->min, 5000);
	lat_stats_merge(a, b);
	CHECK_EQ(a->n, 8);
	CHECK_EQ(a->min, 2000);
	CHECK_EQ(a->max, 9000);
	CHECK_EQ(lat_hist_count(&a->h), 8);
	CHECK(fabs(lat_stats_mean(a) - 5000) < 1e-6, "mean %f", lat_stats_mean(a));
	CHECK(fabs(lat_stats_stdev(a) - 1000 * sqrt(32.0 / 7)) < 1e-6,
	      "stdev %f", lat_stats_stdev(a));
	/* merging an empty one changes nothing; into an empty one copies */
	memset(b, 0, sizeof(*b));
	lat_stats_merge(a, b);
	CHECK_EQ(a->min, 2000);
	lat_stats_merge(b, a);
	CHECK(b->n == 8 && b->min == 2000 && b->max == 9000, "copy");
	/* the percentile list is fio's, in order */
	CHECK(lat_pcts[0] == 1 && lat_pcts[LAT_PCTS_NR - 1] == 99.99, "ends");
	for (i = 1; i < LAT_PCTS_NR; i++)
		CHECK(lat_pcts[i] > lat_pcts[i - 1], "pct %u", i);
	free(a);
	free(b);
}

static void test_units(void)
{
	static const struct {
		const char *s;
		double secs;
	} ok[] = {
		{ "5", 5 }, { "1.5", 1.5 }, { "10s", 10 }, { "1m", 60 },
		{ "2h", 7200 }, { "1d", 86400 }, { "250ms", 0.25 },
		{ "500us", 0.0005 },
	};
	static const char *const bad[] = {
		"", "s", "0", "-1", "1x", "1 s", "5sec", "inf", "nan", "1ms2",
	};
	double v;
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK(!parse_seconds(ok[i].s, &v) && fabs(v - ok[i].secs) < 1e-9,
		      "'%s' -> %f", ok[i].s, v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse_seconds(bad[i], &v), "'%s' accepted", bad[i]);
}

static void test_nvme_cmd(void)
{
	struct nvmering_sqe c;
	struct nvme_uring_cmd u;
	uint8_t raw[64], buf[8];
	uint32_t d;

	/* the SQE and its builder are libnvmering's (test_ring.c) */
	memset(&c, 0xff, sizeof(c));
	nvmering_sqe_rw(&c, NVME_OPC_WRITE, 0x123456789aULL, 8);
	memcpy(raw, &c, 64);
	CHECK_EQ(raw[0], 0x01);
	memcpy(&d, raw + 48, 4);
	CHECK_EQ(le32toh(d), 7);
	c.cdw12 = htole32(0xa0000000);
	nvme_sqe_set_nlb(&c, 0x10001);
	CHECK_EQ(le32toh(c.cdw12), 0xa0000000);
	nvme_sqe_set_nlb(&c, 256);
	CHECK_EQ(le32toh(c.cdw12), 0xa00000ff);

	memset(&u, 0xff, sizeof(u));
	nvme_uring_cmd_rw(&u, NVME_OPC_READ, 3, buf, 4096, 1ULL << 33, 8);
	CHECK_EQ(u.opcode, 2);
	CHECK_EQ(u.nsid, 3);
	CHECK_EQ(u.addr, (uint64_t)(uintptr_t)buf);
	CHECK_EQ(u.data_len, 4096);
	CHECK_EQ(u.cdw10, 0);
	CHECK_EQ(u.cdw11, 2);
	CHECK_EQ(u.cdw12, 7);
	CHECK_EQ(u.metadata | u.cdw13 | u.timeout_ms, 0);
}

int main(void)
{
	test_pattern();
	test_rng();
	test_hist();
	test_stats();
	test_units();
	test_nvme_cmd();
	return check_done();
}
