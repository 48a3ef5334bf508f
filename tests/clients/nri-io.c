// SPDX-License-Identifier: GPL-2.0
/*
 * nri-io: a small scriptable I/O client for nvme_ring_io rings, used by the
 * guest tests. It writes and verifies patterns through a ring, generates
 * the same patterns for an independent path (dd), and feeds the kernel the
 * malformed commands and indices it must refuse.
 *
 *   nri-io [options] gen                  pattern bytes to stdout
 *   nri-io [options] write RING           write the pattern through RING
 *   nri-io [options] verify RING          read through RING and compare
 *   nri-io [options] errors RING          every refused-command case
 *   nri-io [options] fields RING          every command bit not allowed
 *   nri-io [options] garbage RING         corrupt indices, expect refusal
 *   nri-io [options] flow RING            back-pressure, poll, waiting
 *   nri-io ioctl-errors RING NSDEV        bad ioctl and mmap arguments
 *   nri-io [options] info RING            print what the kernel reports
 *   nri-io [--opcode X] [--cdw N=V]... [--data-len B] [--timeout-ms T]
 *          [--count N] [--linger S] [--meta-off O --meta-len L] cmd RING
 *                                         N copies of one command: print
 *                                         the first completion and a tally
 *
 * RING is a ring name, a /dev path, or "setup:/dev/nvmeXnY" for an
 * anonymous ring made with NVME_RING_IO_SETUP on that namespace.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nvmering.h"
#include "blocks.h"
#include "die.h"
#include "nvme-cmd.h"
#include "pattern.h"

static struct {
	uint64_t lba;
	uint64_t nlb;		/* LBAs in all */
	uint32_t bs;		/* LBAs per command */
	uint32_t depth;
	uint32_t seed;
	uint32_t lba_size;
	int queue;
	int pin;
	int hold;
	int hybrid;
	int dontneed;
	unsigned int loops;
	int rdonly;
	uint8_t opcode;
	uint32_t cdw[16];
	uint32_t data_len;
	uint32_t timeout_ms;
	uint32_t count;
	int linger;
	int prinfo;		/* -1: by the namespace's PI type */
	int64_t meta_off;	/* cmd: -1 for none */
	uint32_t meta_len;
	int corrupt_guard;
} opt = {
	.nlb = 8, .bs = 8, .depth = 16, .seed = 1, .lba_size = 512,
	.loops = 1, .count = 1, .prinfo = -1, .meta_off = -1,
	.queue = -1,
};

static int nvme_fd = -1;

static int ring_open(struct nvmering *r, const char *name)
{
	int ret;

	if (!strncmp(name, "setup:", 6)) {
		struct nvme_ring_setup s = {
			.sq_entries = 256, .cq_entries = 256,
			.data_size = 4 << 20, .uring_fd = -1,
		};

		nvme_fd = open(name + 6, opt.rdonly ? O_RDONLY : O_RDWR);
		if (nvme_fd < 0)
			die(name + 6, errno);
		ret = nvmering_setup(r, nvme_fd, &s);
	} else {
		ret = nvmering_open(r, name, opt.queue);
	}
	if (ret)
		die(name, ret);
	if (opt.pin) {
		ret = nvmering_pin(r);
		if (ret)
			die("pin", ret);
	}
	opt.lba_size = 1U << r->info.lba_shift;
	return 0;
}

/*
 * The namespace's block layout (with metadata, if any), and a page of the
 * data area per slot for separate metadata, after the data buffers.
 */
static struct blocks blk;
static uint64_t meta_base;

static void io_meta_init(struct nvmering *r, uint32_t depth)
{
	blocks_init(&blk, r, opt.prinfo);
	meta_base = (nvmering_buf_off(r, depth, depth, opt.bs * blk.block) +
		     4095) & ~4095ULL;
	if (blocks_meta_len(&blk, opt.bs) > 4096 ||
	    (blocks_meta_len(&blk, 1) &&
	     meta_base + (uint64_t)depth * 4096 > r->data_size)) {
		fprintf(stderr, "nri-io: %u blocks of %u metadata bytes for %u slots do not fit a page each\n",
			opt.bs, blk.ms, depth);
		exit(1);
	}
}

/*
 * Run the whole range as commands of opt.bs LBAs, opt.depth at a time.
 * Buffers follow the slots in the data area, one per slot.
 */
static int run_io(struct nvmering *r, int write)
{
	uint32_t depth = opt.depth, bsz;
	uint64_t next = 0, done = 0, ncmd = (opt.nlb + opt.bs - 1) / opt.bs;
	uint32_t inflight = 0, free_top = depth, i;
	uint32_t *free_slots = calloc(depth, sizeof(*free_slots));
	int bad = 0, ret;

	if (!free_slots)
		die("calloc", ENOMEM);
	io_meta_init(r, depth);
	bsz = opt.bs * blk.block;
	if (nvmering_buf_off(r, depth, depth, bsz) > r->data_size) {
		fprintf(stderr, "nri-io: depth %u x %u bytes does not fit the %" PRIu64 "-byte data area\n",
			depth, bsz, r->data_size);
		exit(1);
	}
	for (i = 0; i < depth; i++)
		free_slots[i] = i;

	while (done < ncmd) {
		while (next < ncmd && free_top && nvmering_sq_space(r)) {
			uint32_t s = free_slots[--free_top];
			uint64_t slot = nvmering_slot_off(r, s);
			uint64_t buf = nvmering_buf_off(r, depth, s, bsz);
			uint64_t meta = meta_base + (uint64_t)s * 4096;
			uint64_t lba = opt.lba + next * opt.bs;
			uint32_t n = opt.bs;

			if (next * opt.bs + n > opt.nlb)
				n = opt.nlb - next * opt.bs;
			if (write) {
				blocks_fill(&blk, r, nvmering_buf(r, buf),
					    nvmering_buf(r, meta), lba, n,
					    opt.seed);
				/* a bad guard the device is not asked to check */
				if (opt.corrupt_guard && blk.pi_len)
					blocks_md(&blk, nvmering_buf(r, buf),
						  nvmering_buf(r, meta),
						  0)[blk.pi_off] ^= 0xff;
			} else {
				memset(nvmering_buf(r, buf), 0xee, n * blk.block);
				memset(nvmering_buf(r, meta), 0xee,
				       blocks_meta_len(&blk, n));
			}
			nvmering_prep_rw_meta(r, slot, write ? NVMERING_OP_WRITE :
					      NVMERING_OP_READ, buf, meta, lba,
					      n, blk.prinfo);
			nvmering_slot(r, slot)->user_data = lba;
			nvmering_sq_push(r, slot);
			next++;
			inflight++;
		}
		ret = nvmering_submit(r, 0);
		if (ret < 0)
			die("submit", ret);
		if (opt.hybrid && !nvmering_cq_ready(r)) {
			struct nvme_ring_complete hc = {
				.min_complete = 1, .timeout_ms = 10000,
				.flags = NVME_RING_COMPLETE_F_HYBRID,
			};

			if (ioctl(r->fd, NVME_RING_IO_COMPLETE, &hc) < 0)
				die("COMPLETE (hybrid)", errno);
		}
		ret = nvmering_wait(r, 1, 10000);
		if (ret)
			die("wait for completion", ret);

		struct nvme_ring_cqe cqes[64];
		uint32_t n = nvmering_peek_cqes(r, cqes, 64);

		for (i = 0; i < n; i++) {
			struct nvme_ring_slot *sl =
				nvmering_slot(r, cqes[i].slot);
			uint32_t s = cqes[i].slot / NVME_RING_SLOT_SIZE;
			uint64_t lba = sl->user_data;

			if (cqes[i].status || cqes[i].err) {
				fprintf(stderr, "nri-io: LBA %" PRIu64 ": status 0x%x (%s) err %d\n",
					lba, cqes[i].status,
					nvmering_status_str(cqes[i].status),
					cqes[i].err);
				bad++;
			} else if (!write) {
				uint8_t *got = nvmering_buf(r, sl->data_off);
				uint8_t *gotm = nvmering_buf(r, meta_base +
							     (uint64_t)s * 4096);
				const char *why;
				uint32_t k, off;

				why = blocks_check(&blk, r, got, gotm, lba,
						   sl->data_len / blk.block,
						   opt.seed, &k, &off);
				if (why) {
					fprintf(stderr, "nri-io: LBA %" PRIu64 ": %s mismatch at byte %u\n",
						lba + k, why, off);
					bad++;
				}
			}
			free_slots[free_top++] = s;
			inflight--;
			done++;
		}
		nvmering_cq_advance(r, n);
	}
	free(free_slots);
	printf("%s %" PRIu64 " LBAs from %" PRIu64 " on queue %u: %s\n",
	       write ? "wrote" : "verified", opt.nlb, opt.lba, r->queue,
	       bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

/* Submit one prepared slot and return its CQE. */
static struct nvme_ring_cqe one(struct nvmering *r, uint64_t slot)
{
	struct nvme_ring_cqe cqe;
	int ret;

	if (nvmering_sq_push(r, slot))
		die("SQ full", EAGAIN);
	ret = nvmering_submit(r, 0);
	if (ret < 0)
		die("submit", ret);
	ret = nvmering_wait_cqe(r, &cqe, 5000);
	if (ret)
		die("completion", ret);
	return cqe;
}

static int check(const char *name, struct nvme_ring_cqe c, int want_err,
		 int want_rejected)
{
	int ok = c.err == want_err &&
		 !!(c.flags & NVME_RING_CQE_F_REJECTED) == want_rejected &&
		 (want_err ? c.status != 0 : c.status == 0);

	printf("%-28s err %4d status 0x%04x flags 0x%x  %s\n", name, c.err,
	       c.status, c.flags, ok ? "ok" : "UNEXPECTED");
	return !ok;
}

static int run_errors(struct nvmering *r)
{
	uint64_t slot = nvmering_slot_off(r, 0);
	uint64_t buf = nvmering_buf_off(r, 4, 0, 4096);
	struct nvme_ring_slot *s = nvmering_slot(r, slot);
	uint64_t end = r->info.lba_start + r->info.lba_count;
	struct nvme_ring_cqe c;
	int bad = 0;

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	bad |= check("good read", one(r, slot), 0, 0);

	/* descriptor not pointing at a slot */
	c = one(r, r->data_size + 4096);
	bad |= check("slot outside data area", c, -EFAULT, 1);
	bad |= !(c.flags & NVME_RING_CQE_F_BAD_SLOT);
	bad |= check("misaligned slot", one(r, 100), -EFAULT, 1);

	nvmering_prep_read(r, slot, buf, end, 1);
	bad |= check("LBA past the window", one(r, slot), -ERANGE, 1);
	nvmering_prep_read(r, slot, buf, end - 1, 2);
	bad |= check("LBA range crossing end", one(r, slot), -ERANGE, 1);
	if (r->info.lba_start) {
		nvmering_prep_read(r, slot, buf, r->info.lba_start - 1, 1);
		bad |= check("LBA before the window", one(r, slot), -ERANGE, 1);
	}

	nvmering_prep_read(r, slot, r->data_size - 256, r->info.lba_start, 1);
	s->data_len = 512;
	bad |= check("buffer past data area", one(r, slot),
		     opt.lba_size == 512 ? -EFAULT : -EINVAL, 1);
	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	s->data_off = ~0ULL - 100;
	bad |= check("buffer offset overflow", one(r, slot), -EFAULT, 1);

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 2);
	s->data_len = opt.lba_size;
	bad |= check("length != NLB", one(r, slot), -EINVAL, 1);

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	nvme_sqe(s->cmd)->prp1 = 0xababababababababULL;
	bad |= check("PRP from userspace", one(r, slot), -EINVAL, 1);
	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	nvme_sqe(s->cmd)->metadata = 0xcdcdcdcdcdcdcdcdULL;
	bad |= check("metadata pointer", one(r, slot), -EINVAL, 1);
	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	s->meta_len = 8;
	bad |= check("metadata buffer", one(r, slot), -EINVAL, 1);
	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	nvme_sqe(s->cmd)->flags = NVME_SQE_F_PSDT_SGL;
	bad |= check("SGL/fused flags", one(r, slot), -EINVAL, 1);
	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	s->resv1 = 1;
	bad |= check("reserved field", one(r, slot), -EINVAL, 1);

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	nvme_sqe(s->cmd)->nsid = htole32(0x55);	/* forced, not refused */
	bad |= check("foreign NSID (forced)", one(r, slot), 0, 0);

	{
		struct nvmering_sqe sqe = { .opcode = NVME_OPC_FABRICS };

		nvmering_prep_raw(r, slot, &sqe, 0, 0);
		bad |= check("fabrics opcode", one(r, slot), -EPERM, 1);
		sqe.opcode = 0x06;		/* admin "identify" number */
		nvmering_prep_raw(r, slot, &sqe, 0, 0);
		bad |= check("opcode not allowed", one(r, slot), -EPERM, 1);
	}

	if (r->info.opcodes[NVME_OPC_COPY / 8] & (1U << (NVME_OPC_COPY % 8))) {
		/* Copy: LBAs not checkable */
		struct nvmering_sqe sqe = { .opcode = NVME_OPC_COPY };

		nvmering_prep_raw(r, slot, &sqe, 0, 0);
		c = one(r, slot);
		/* a ring with a window (tests give such rings lba_start) */
		if (r->info.lba_start)
			bad |= check("Copy in a windowed ring", c, -EPERM, 1);
	}

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	s->data_len = r->info.max_transfer + opt.lba_size;
	nvme_sqe_set_nlb(nvme_sqe(s->cmd), s->data_len / opt.lba_size);
	bad |= check("above max transfer", one(r, slot), -E2BIG, 1);

	nvmering_prep_read(r, slot, buf, r->info.lba_start, 1);
	bad |= check("good read again", one(r, slot), 0, 0);
	return bad;
}

/* Set dword @n (2-3, 10-15) of an SQE, little-endian. */
static void set_cdw(struct nvmering_sqe *c, unsigned int n, uint32_t v)
{
	uint32_t *d = n == 2 ? &c->cdw2 : n == 3 ? &c->cdw3 :
		      &c->cdw10 + (n - 10);

	*d = htole32(v);
}

/*
 * The command fields the ring allows, per opcode (NVMe 2.1): every other
 * bit of CDW2-3 and CDW12-15 (and CDW10-11 of Flush) must be refused with
 * EINVAL, NSZ of Write Zeroes included; the allowed ones must pass.
 */
static int run_fields(struct nvmering *r)
{
	static const struct {
		uint8_t opc;
		const char *name;
		uint32_t cdw12, cdw13;	/* allowed; NLB is always */
		int lba, data;
	} ops[] = {
		{ NVME_OPC_READ, "Read", 0xc0000000, 0xff, 1, 1 },
		{ NVME_OPC_WRITE, "Write", 0xc0000000, 0xff, 1, 1 },
		{ NVME_OPC_COMPARE, "Compare", 0xc0000000, 0, 1, 1 },
		{ NVME_OPC_WRITE_ZEROES, "Write Zeroes", 0xc2000000, 0, 1, 0 },
		{ NVME_OPC_FLUSH, "Flush", 0, 0, 0, 0 },
	};
	static const unsigned int cdws[] = { 2, 3, 10, 11, 12, 13, 14, 15 };
	uint64_t slot = nvmering_slot_off(r, 0);
	uint64_t buf = nvmering_buf_off(r, 4, 0, 4096);
	uint64_t lba = r->info.lba_start;
	unsigned int o, i, b, refused = 0, wrong = 0;
	struct nvmering_sqe sqe;
	struct nvme_ring_cqe c;
	int bad = 0;

	/* NSZ by itself first, spelled out (and logged within the budget) */
	nvmering_sqe_rw(&sqe, NVME_OPC_WRITE_ZEROES, lba, 1);
	set_cdw(&sqe, 12, 1U << 23);
	nvmering_prep_raw(r, slot, &sqe, 0, 0);
	bad |= check("Write Zeroes with NSZ", one(r, slot), -EINVAL, 1);

	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (i = 0; i < sizeof(cdws) / sizeof(cdws[0]); i++) {
			unsigned int n = cdws[i];
			uint32_t allowed = n == 12 ? ops[o].cdw12 | 0xffff :
					   n == 13 ? ops[o].cdw13 : 0;

			/* SLBA is checked against the window instead */
			if (ops[o].lba && (n == 10 || n == 11))
				continue;
			for (b = 0; b < 32; b++) {
				if (allowed & (1U << b))
					continue;
				nvmering_sqe_rw(&sqe, ops[o].opc, lba, 1);
				if (!ops[o].lba)
					nvmering_sqe_init(&sqe, ops[o].opc);
				set_cdw(&sqe, n, 1U << b);
				nvmering_prep_raw(r, slot, &sqe, buf,
						  ops[o].data ? opt.lba_size : 0);
				c = one(r, slot);
				if (c.err == -EINVAL &&
				    (c.flags & NVME_RING_CQE_F_REJECTED)) {
					refused++;
					continue;
				}
				if (wrong++ < 10)
					printf("%s CDW%u bit %u: err %d status 0x%x flags 0x%x  ACCEPTED\n",
					       ops[o].name, n, b, c.err, c.status,
					       c.flags);
			}
		}
		if (ops[o].opc == NVME_OPC_FLUSH)
			continue;
		/* the allowed bits together go through */
		nvmering_sqe_rw(&sqe, ops[o].opc, lba, 1);
		set_cdw(&sqe, 12, ops[o].cdw12);
		set_cdw(&sqe, 13, ops[o].cdw13);
		nvmering_prep_raw(r, slot, &sqe, buf,
				  ops[o].data ? opt.lba_size : 0);
		c = one(r, slot);
		/* Compare may miscompare; it must not be refused */
		if (c.flags & NVME_RING_CQE_F_REJECTED) {
			printf("%s with its allowed bits: err %d  REFUSED\n",
			       ops[o].name, c.err);
			bad = 1;
		}
	}
	printf("%u bits refused, %u accepted that should not be\n", refused,
	       wrong);
	bad |= wrong != 0 || refused == 0;
	printf("fields: %s\n", bad ? "FAILED" : "ok");
	return bad;
}

/* Corrupt the shared indices: the kernel must refuse, not follow. */
static int run_garbage(struct nvmering *r)
{
	struct nvme_ring_submit sub = { 0 };
	uint32_t saved = *r->sq_prod;
	int ret, bad = 0;

	*r->sq_prod = saved + r->sq_mask + 100;
	ret = ioctl(r->fd, NVME_RING_IO_SUBMIT, &sub);
	printf("SQ producer far ahead: %s\n",
	       ret < 0 && errno == EINVAL ? "refused (ok)" : "ACCEPTED");
	bad |= !(ret < 0 && errno == EINVAL);
	*r->sq_prod = saved;

	saved = *r->cq_cons;
	*r->cq_cons = saved + 1000;
	{
		uint64_t slot = nvmering_slot_off(r, 0);

		nvmering_prep_flush(r, slot);
		nvmering_sq_push(r, slot);
		nvmering_sq_publish(r);
	}
	ret = ioctl(r->fd, NVME_RING_IO_SUBMIT, &sub);
	printf("CQ consumer ahead of producer: %s\n",
	       ret < 0 && errno == EINVAL ? "refused (ok)" : "ACCEPTED");
	bad |= !(ret < 0 && errno == EINVAL);
	*r->cq_cons = saved;

	/* the pending flush goes through once the indices are sane again */
	{
		struct nvme_ring_cqe cqe;

		ret = nvmering_submit(r, 0);
		if (ret == 1 && !nvmering_wait_cqe(r, &cqe, 5000) &&
		    !cqe.status && !cqe.err) {
			printf("recovered after repair: ok\n");
		} else {
			printf("recovered after repair: FAILED (%d)\n", ret);
			bad = 1;
		}
	}
	return bad;
}

static int expect_errno(const char *what, int ret, int want)
{
	int ok = ret < 0 && errno == want;

	printf("%-40s %s\n", what, ok ? "ok" :
	       ret >= 0 ? "ACCEPTED" : strerror(errno));
	return !ok;
}

/*
 * The words the kernel owns, scribbled on: GET_INFO only reads (they stay
 * scribbled), REPAIR_INDICES writes them back from the kernel's copies.
 */
static int check_repair(struct nvmering *r)
{
	uint32_t sq_cons = *r->sq_cons, cq_prod = *r->cq_prod;
	int ok;

	*r->sq_cons = sq_cons + 12345;
	*r->cq_prod = cq_prod + 54321;
	ok = ioctl(r->fd, NVME_RING_IO_GET_INFO, &r->info) == 0 &&
	     *r->sq_cons == sq_cons + 12345 && *r->cq_prod == cq_prod + 54321;
	printf("%-40s %s\n", "GET_INFO leaves the indices alone", ok ? "ok" : "FAILED");
	if (ioctl(r->fd, NVME_RING_IO_REPAIR_INDICES) < 0 ||
	    *r->sq_cons != sq_cons || *r->cq_prod != cq_prod) {
		printf("%-40s %s\n", "REPAIR_INDICES restores them", "FAILED");
		return 1;
	}
	printf("%-40s %s\n", "REPAIR_INDICES restores them", "ok");
	return !ok;
}

/* Bad ioctl and mmap arguments: each refused with its errno. */
static int run_ioctl_errors(struct nvmering *r, const char *nsdev)
{
	struct nvme_ring_setup su;
	struct nvme_ring_submit sub;
	struct nvme_ring_complete co;
	struct nvme_ring_queue_info qi;
	uint32_t q;
	void *m;
	int bad = 0, fd, nfd, ret;

	memset(&sub, 0, sizeof(sub));
	sub.flags = 0x80;
	bad |= expect_errno("SUBMIT unknown flag", ioctl(r->fd, NVME_RING_IO_SUBMIT, &sub), EINVAL);
	memset(&sub, 0, sizeof(sub));
	sub.min_complete = 1;
	bad |= expect_errno("SUBMIT min_complete without NVME_RING_SUBMIT_F_WAIT",
			    ioctl(r->fd, NVME_RING_IO_SUBMIT, &sub), EINVAL);
	sub.flags = NVME_RING_SUBMIT_F_WAIT;
	sub.min_complete = r->cq_mask + 2;
	bad |= expect_errno("SUBMIT waiting for more than the CQ holds",
			    ioctl(r->fd, NVME_RING_IO_SUBMIT, &sub), EINVAL);
	bad |= expect_errno("SUBMIT bad pointer", ioctl(r->fd, NVME_RING_IO_SUBMIT, (void *)8), EFAULT);
	memset(&co, 0, sizeof(co));
	co.resv[1] = 1;
	bad |= expect_errno("COMPLETE resv", ioctl(r->fd, NVME_RING_IO_COMPLETE, &co), EINVAL);
	memset(&co, 0, sizeof(co));
	co.flags = 0x80;
	bad |= expect_errno("COMPLETE unknown flag", ioctl(r->fd, NVME_RING_IO_COMPLETE, &co), EINVAL);
	bad |= expect_errno("GET_INFO bad pointer", ioctl(r->fd, NVME_RING_IO_GET_INFO, (void *)8), EFAULT);
	q = r->info.nr_queues;
	bad |= expect_errno("SET_QUEUE out of range", ioctl(r->fd, NVME_RING_IO_SET_QUEUE, &q), EINVAL);
	memset(&qi, 0, sizeof(qi));
	qi.queue = 100000;
	bad |= expect_errno("GET_QUEUE_INFO out of range", ioctl(r->fd, NVME_RING_IO_GET_QUEUE_INFO, &qi), EINVAL);
	bad |= expect_errno("unknown ioctl", ioctl(r->fd, _IO(NVME_RING_IO_MAGIC, 0x7f)), ENOTTY);
	memset(&su, 0, sizeof(su));
	bad |= expect_errno("SETUP on a named ring", ioctl(r->fd, NVME_RING_IO_SETUP, &su), ENOTTY);
	bad |= check_repair(r);

	m = mmap(NULL, r->map_size + 4096, PROT_READ, MAP_SHARED, r->fd, 0);
	bad |= expect_errno("mmap longer than the queue", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, r->fd, 0);
	bad |= expect_errno("mmap MAP_PRIVATE", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r->fd,
		 (off_t)(NVME_RING_IO_MMAP_STRIDE * r->info.nr_queues));
	bad |= expect_errno("mmap of a queue that does not exist", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r->fd,
		 (off_t)(r->map_size + 4096));
	bad |= expect_errno("mmap offset past the queue", m == MAP_FAILED ? -1 : 0, EINVAL);

	fd = open("/dev/" NVME_RING_IO_MISC_NAME, O_RDWR);
	if (fd < 0)
		die("/dev/" NVME_RING_IO_MISC_NAME, errno);
	memset(&sub, 0, sizeof(sub));
	bad |= expect_errno("SUBMIT before SETUP", ioctl(fd, NVME_RING_IO_SUBMIT, &sub), ENXIO);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	bad |= expect_errno("mmap before SETUP", m == MAP_FAILED ? -1 : 0, ENXIO);
	nfd = open(nsdev, O_RDWR);
	if (nfd < 0)
		die(nsdev, errno);
	memset(&su, 0, sizeof(su));
	su.nvme_fd = nfd;
	su.flags = 0x80;
	bad |= expect_errno("SETUP unknown flag", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.flags = 0;
	su.resv[3] = 1;
	bad |= expect_errno("SETUP resv", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.resv[3] = 0;
	su.nvme_fd = -1;
	bad |= expect_errno("SETUP nvme_fd -1", ioctl(fd, NVME_RING_IO_SETUP, &su), EBADF);
	su.nvme_fd = open("/dev/null", O_RDWR);
	bad |= expect_errno("SETUP nvme_fd /dev/null", ioctl(fd, NVME_RING_IO_SETUP, &su), ENODEV);
	close(su.nvme_fd);
	su.nvme_fd = nfd;
	su.sq_entries = 3;
	bad |= expect_errno("SETUP sq_entries 3", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.sq_entries = 1U << 20;
	bad |= expect_errno("SETUP sq_entries 2^20", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.sq_entries = 0;
	su.data_size = 1ULL << 40;
	bad |= expect_errno("SETUP data_size 1 TiB", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.data_size = 0;
	su.flags = NVME_RING_SETUP_F_NUMA_NODE;
	su.numa_node = 1000;
	bad |= expect_errno("SETUP numa_node 1000", ioctl(fd, NVME_RING_IO_SETUP, &su), EINVAL);
	su.flags = 0;
	ret = ioctl(fd, NVME_RING_IO_SETUP, &su);
	printf("%-40s %s\n", "SETUP defaults", ret == 0 ? "ok" : strerror(errno));
	bad |= ret != 0;
	bad |= expect_errno("SETUP twice", ioctl(fd, NVME_RING_IO_SETUP, &su), EBUSY);
	close(fd);
	/* SETUP makes a ring: not through a read-only open */
	fd = open("/dev/" NVME_RING_IO_MISC_NAME, O_RDONLY);
	if (fd < 0)
		die("/dev/" NVME_RING_IO_MISC_NAME, errno);
	bad |= expect_errno("SETUP on a read-only open", ioctl(fd, NVME_RING_IO_SETUP, &su), EBADF);
	close(nfd);
	close(fd);
	printf("ioctl-errors: %s\n", bad ? "FAILED" : "ok");
	return bad;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Flow control and notification: COMPLETE's timeout, a signal during its
 * wait, poll(), and a CQ
 * smaller than the batch: the kernel takes no more than the CQ can hold,
 * and every command completes exactly once.
 */
/*
 * SUBMIT that also waits: k reads in one call, all k completions there
 * when it returns; then a wait nothing will end but a signal.
 */
static int flow_submit_wait(struct nvmering *r, uint32_t k)
{
	uint32_t i, ready;
	double t0;
	int ret, bad = 0;

	if (!(r->info.features & NVME_RING_IO_F_SUBMIT_WAIT)) {
		printf("SUBMIT with NVME_RING_SUBMIT_F_WAIT: NOT OFFERED\n");
		return 1;
	}
	if (k > 8)
		k = 8;
	for (i = 0; i < k; i++) {
		uint64_t slot = nvmering_slot_off(r, i);

		nvmering_prep_read(r, slot, nvmering_buf_off(r, k, i, 4096),
				   r->info.lba_start + i, 1);
		nvmering_sq_push(r, slot);
	}
	ret = nvmering_submit_and_wait(r, k);
	ready = nvmering_cq_ready(r);
	printf("SUBMIT with F_WAIT for %u: returned %d, %u completions ready on return\n",
	       k, ret, ready);
	bad |= ret != (int)k || ready != k;
	for (i = 0; i < ready; i++) {
		struct nvme_ring_cqe cqe;

		nvmering_peek_cqes(r, &cqe, 1);
		bad |= cqe.status || cqe.err;
		nvmering_cq_advance(r, 1);
	}

	t0 = now_ms();
	alarm(1);
	ret = nvmering_submit_and_wait(r, 1);
	alarm(0);
	printf("SUBMIT with F_WAIT and nothing in flight, interrupted by a signal: %s after %.0f ms\n",
	       ret == -EINTR ? "EINTR (ok)" : "NOT INTERRUPTED", now_ms() - t0);
	bad |= ret != -EINTR || now_ms() - t0 > 4000;
	return bad;
}

static int run_flow(struct nvmering *r)
{
	uint32_t n = r->sq_mask + 1, i, seen = 0, cqn = r->cq_mask + 1;
	uint8_t *count = calloc(n, 1);
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	struct nvme_ring_complete c = { .min_complete = 1, .timeout_ms = 300 };
	double t0;
	int ret, bad = 0, rounds = 0;

	if (!count)
		die("calloc", ENOMEM);
	t0 = now_ms();
	ret = ioctl(r->fd, NVME_RING_IO_COMPLETE, &c);
	printf("idle COMPLETE: ret %d available %u after %.0f ms\n", ret,
	       c.available, now_ms() - t0);
	bad |= ret != 0 || c.available != 0 || now_ms() - t0 < 250;

	/* a signal ends the wait (no SA_RESTART: the caller sees EINTR) */
	{
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);
		c.timeout_ms = 5000;
		t0 = now_ms();
		alarm(1);
		ret = ioctl(r->fd, NVME_RING_IO_COMPLETE, &c);
		alarm(0);
		printf("COMPLETE interrupted by a signal: %s after %.0f ms\n",
		       ret < 0 && errno == EINTR ? "EINTR (ok)" : "NOT INTERRUPTED",
		       now_ms() - t0);
		bad |= !(ret < 0 && errno == EINTR) || now_ms() - t0 > 4000;
		c.timeout_ms = 300;
	}

	ret = poll(&pfd, 1, 0);
	printf("idle poll: %d\n", ret);
	bad |= ret != 0;

	c.min_complete = cqn + 1;
	ret = ioctl(r->fd, NVME_RING_IO_COMPLETE, &c);
	printf("min_complete above CQ size: %s\n",
	       ret < 0 && errno == EINVAL ? "refused (ok)" : "ACCEPTED");
	bad |= !(ret < 0 && errno == EINVAL);

	bad |= flow_submit_wait(r, n < cqn ? n : cqn);

	/* fill the whole SQ, more than the CQ holds */
	for (i = 0; i < n; i++) {
		uint64_t slot = nvmering_slot_off(r, i);

		nvmering_prep_read(r, slot, nvmering_buf_off(r, n, i, 4096),
				   r->info.lba_start + i, 1);
		nvmering_slot(r, slot)->user_data = i;
		if (nvmering_sq_push(r, slot))
			die("SQ full", EAGAIN);
	}
	ret = nvmering_submit(r, 0);
	printf("submitted %d of %u with a %u-entry CQ\n", ret, n, cqn);
	bad |= ret < 0 || (uint32_t)ret > cqn;

	ret = poll(&pfd, 1, 5000);
	printf("poll after submit: %d revents 0x%x\n", ret, pfd.revents);
	bad |= ret != 1 || !(pfd.revents & POLLIN);

	while (seen < n && rounds++ < 10000) {
		struct nvme_ring_cqe cq[64];
		uint32_t k, got;

		nvmering_submit(r, 0);
		if (nvmering_wait(r, 1, 5000))
			break;
		got = nvmering_peek_cqes(r, cq, 64);
		for (k = 0; k < got; k++) {
			uint64_t ud = nvmering_slot(r, cq[k].slot)->user_data;

			if (cq[k].status || cq[k].err || ud >= n)
				bad = 1;
			else
				count[ud]++;
		}
		nvmering_cq_advance(r, got);
		seen += got;
	}
	for (i = 0; i < n; i++)
		if (count[i] != 1) {
			printf("command %u completed %u times\n", i, count[i]);
			bad = 1;
		}
	nvmering_refresh(r);
	printf("completed %u; queue counters: submitted %llu completed %llu inflight %llu cq_full_events %llu\n",
	       seen, r->qinfo.stats.submitted, r->qinfo.stats.completed,
	       r->qinfo.stats.inflight, r->qinfo.stats.cq_full_events);
	bad |= seen != n || r->qinfo.stats.inflight ||
	       r->qinfo.stats.submitted != r->qinfo.stats.completed;
	if (cqn < n)
		bad |= !r->qinfo.stats.cq_full_events;
	free(count);
	printf("flow: %s\n", bad ? "FAILED" : "ok");
	return bad;
}

/*
 * The command the options say, its buffer the first data_len bytes after
 * the slots, sent --count times (one slot, one descriptor each time); after
 * --linger seconds without reaping, collect every completion, also when
 * the ring is disabled meanwhile (they are in the mapped CQ). Prints the
 * first completion, a tally and how long the submission took, for the test
 * to judge; fails only when completions are missing.
 */
static int run_cmd(struct nvmering *r)
{
	uint64_t slot = nvmering_slot_off(r, 0);
	uint64_t buf = nvmering_buf_off(r, 4, 0, 4096);
	uint32_t pushed = 0, got = 0, ok = 0, rejected = 0;
	struct nvme_ring_cqe *cqe, first = { 0 };
	struct nvmering_sqe sqe;
	double t0, t_submit, end;
	unsigned int n;
	int ret;

	nvmering_sqe_init(&sqe, opt.opcode);
	for (n = 2; n < 16; n++)
		if (n <= 3 || n >= 10)
			set_cdw(&sqe, n, opt.cdw[n]);
	nvmering_prep_raw(r, slot, &sqe, opt.data_len ? buf : 0, opt.data_len);
	nvmering_slot(r, slot)->timeout_ms = opt.timeout_ms;
	if (opt.meta_off >= 0) {
		nvmering_slot(r, slot)->meta_off = (uint64_t)opt.meta_off;
		nvmering_slot(r, slot)->meta_len = opt.meta_len;
	}

	t0 = now_ms();
	/* until the kernel has taken them all (EAGAIN: no device tag yet) */
	while (pushed < opt.count || nvmering_sq_space(r) <= r->sq_mask) {
		while (pushed < opt.count && !nvmering_sq_push(r, slot))
			pushed++;
		ret = nvmering_submit(r, 0);
		if (ret < 0 && ret != -EAGAIN)
			die("submit", ret);
		if (now_ms() - t0 > 30000)
			die("submit: the kernel did not take the commands", ETIME);
	}
	t_submit = now_ms() - t0;
	if (opt.linger > 0)
		sleep(opt.linger);

	end = now_ms() + 30000;
	while (got < opt.count && now_ms() < end) {
		if (!nvmering_cq_ready(r)) {
			ret = nvmering_wait(r, 1, 100);
			/* a disabled ring: what completed is in the CQ anyway */
			if (ret && ret != -ETIME && ret != -ENODEV)
				die("completion", ret);
			if (ret == -ENODEV)
				usleep(10000);
			continue;
		}
		nvmering_peek_cqe(r, &cqe);
		if (!got)
			first = *cqe;
		got++;
		ok += !cqe->err && !cqe->status;
		rejected += !!(cqe->flags & NVME_RING_CQE_F_REJECTED);
		nvmering_cq_advance(r, 1);
	}
	printf("err %d status 0x%04x flags 0x%x\n", first.err, first.status,
	       first.flags);
	printf("completions %u of %u: ok %u failed %u rejected %u; submit took %.0f ms\n",
	       got, opt.count, ok, got - ok, rejected, t_submit);
	return got != opt.count;
}

static int run_info(struct nvmering *r)
{
	struct nvme_ring_info *i = &r->info;
	unsigned int cpu;

	printf("abi %u queues %u queue %u nsid %u lba_shift %u max_transfer %u\n",
	       i->abi_version, i->nr_queues, i->queue, i->nsid, i->lba_shift,
	       i->max_transfer);
	printf("features 0x%llx\n", (unsigned long long)i->features);
	printf("sq_entries %u cq_entries %u data_size %llu mmap_size %llu\n",
	       i->sq_entries, i->cq_entries, (unsigned long long)r->data_size,
	       r->qinfo.layout.mmap_size);
	printf("lba_start %llu lba_count %llu node %d mem_node %d hctx %u nvme_qid %u huge_pages %u\n",
	       i->lba_start, i->lba_count, i->numa_node, r->qinfo.numa_node,
	       r->qinfo.hctx, r->qinfo.nvme_qid, r->qinfo.huge_pages);
	printf("cpus");
	for (cpu = 0; cpu < 256; cpu++)
		if (r->qinfo.cpus[cpu / 64] & (1ULL << (cpu % 64)))
			printf(" %u", cpu);
	printf("\nmeta_size %u pi_type %u pi_size %u meta_flags 0x%x\n",
	       i->meta_size, i->pi_type, i->pi_size, i->meta_flags);
	printf("submitted %llu completed %llu errors %llu invalid %llu inflight %llu\n",
	       i->stats.submitted, i->stats.completed, i->stats.errors,
	       i->stats.invalid_descs, i->stats.inflight);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nri-io [--lba L] [--nlb N] [--bs LBAS] [--depth D] [--seed S]\n"
		"              [--lba-size B] [--queue Q] [--pin] [--rdonly] [--hold SECONDS]\n"
		"              [--hybrid] [--dontneed] [--loops N]\n"
		"              [--opcode X] [--cdw N=V]... [--data-len B] [--timeout-ms T]\n"
		"              [--count N] [--linger SECONDS] [--prinfo P] [--corrupt-guard]\n"
		"              [--meta-off OFF --meta-len LEN]\n"
		"              gen | write RING | verify RING | errors RING | fields RING |\n"
		"              garbage RING | flow RING | info RING | cmd RING |\n"
		"              ioctl-errors RING NSDEV\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "lba", 1, NULL, 'l' }, { "nlb", 1, NULL, 'n' },
		{ "bs", 1, NULL, 'b' }, { "depth", 1, NULL, 'd' },
		{ "seed", 1, NULL, 's' }, { "lba-size", 1, NULL, 'z' },
		{ "queue", 1, NULL, 'q' }, { "pin", 0, NULL, 'p' },
		{ "rdonly", 0, NULL, 'r' }, { "hold", 1, NULL, 'H' },
		{ "hybrid", 0, NULL, 'Y' }, { "dontneed", 0, NULL, 'N' },
		{ "loops", 1, NULL, 'L' }, { "opcode", 1, NULL, 'O' },
		{ "cdw", 1, NULL, 'C' }, { "data-len", 1, NULL, 'D' },
		{ "timeout-ms", 1, NULL, 'T' }, { "count", 1, NULL, 'c' },
		{ "linger", 1, NULL, 'G' }, { "prinfo", 1, NULL, 'P' },
		{ "corrupt-guard", 0, NULL, 'X' }, { "meta-off", 1, NULL, 'M' },
		{ "meta-len", 1, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct nvmering r;
	const char *cmd;
	unsigned long n;
	char *end;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': opt.lba = strtoull(optarg, NULL, 0); break;
		case 'n': opt.nlb = strtoull(optarg, NULL, 0); break;
		case 'b': opt.bs = strtoul(optarg, NULL, 0); break;
		case 'd': opt.depth = strtoul(optarg, NULL, 0); break;
		case 's': opt.seed = strtoul(optarg, NULL, 0); break;
		case 'z': opt.lba_size = strtoul(optarg, NULL, 0); break;
		case 'q': opt.queue = atoi(optarg); break;
		case 'p': opt.pin = 1; break;
		case 'r': opt.rdonly = 1; break;
		case 'H': opt.hold = atoi(optarg); break;
		case 'Y': opt.hybrid = 1; break;
		case 'N': opt.dontneed = 1; break;
		case 'L': opt.loops = strtoul(optarg, NULL, 0); break;
		case 'O': opt.opcode = strtoul(optarg, NULL, 0); break;
		case 'C':
			n = strtoul(optarg, &end, 10);
			if (*end != '=' || (n != 2 && n != 3 && (n < 10 || n > 15)))
				usage();
			opt.cdw[n] = strtoul(end + 1, NULL, 0);
			break;
		case 'D': opt.data_len = strtoul(optarg, NULL, 0); break;
		case 'T': opt.timeout_ms = strtoul(optarg, NULL, 0); break;
		case 'c': opt.count = strtoul(optarg, NULL, 0); break;
		case 'G': opt.linger = atoi(optarg); break;
		case 'P': opt.prinfo = (int)strtoul(optarg, NULL, 0); break;
		case 'X': opt.corrupt_guard = 1; break;
		case 'M': opt.meta_off = (int64_t)strtoull(optarg, NULL, 0); break;
		case 'm': opt.meta_len = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind >= argc || !opt.bs || !opt.depth || opt.lba_size < 512 ||
	    opt.lba_size > 4096)
		usage();
	cmd = argv[optind];

	if (!strcmp(cmd, "gen")) {
		uint8_t buf[4096];
		uint64_t k;

		for (k = 0; k < opt.nlb; k++) {
			pattern_fill(buf, opt.lba + k, 1, opt.lba_size, opt.seed);
			if (fwrite(buf, opt.lba_size, 1, stdout) != 1)
				die("stdout", errno);
		}
		return 0;
	}
	if (optind + 1 >= argc)
		usage();
	ring_open(&r, argv[optind + 1]);
	/* drop every page of the mapping: the kernel must fault them back */
	if (opt.dontneed && madvise(r.map, r.map_size, MADV_DONTNEED))
		die("madvise", errno);
	if (opt.hold > 0)
		sleep(opt.hold);

	if (!strcmp(cmd, "write") || !strcmp(cmd, "verify")) {
		unsigned int l;

		/* --loops N: the same range N times, for a long-running client */
		for (ret = 0, l = 0; l < opt.loops && !ret; l++)
			ret = run_io(&r, cmd[0] == 'w');
	}
	else if (!strcmp(cmd, "errors"))
		ret = run_errors(&r);
	else if (!strcmp(cmd, "garbage"))
		ret = run_garbage(&r);
	else if (!strcmp(cmd, "fields"))
		ret = run_fields(&r);
	else if (!strcmp(cmd, "ioctl-errors") && optind + 2 < argc)
		ret = run_ioctl_errors(&r, argv[optind + 2]);
	else if (!strcmp(cmd, "flow"))
		ret = run_flow(&r);
	else if (!strcmp(cmd, "info"))
		ret = run_info(&r);
	else if (!strcmp(cmd, "cmd"))
		ret = run_cmd(&r);
	else
		usage();
	nvmering_close(&r);
	if (nvme_fd >= 0)
		close(nvme_fd);
	return ret;
}
