// SPDX-License-Identifier: GPL-2.0
/*
 * nri-uring: io_uring paths of nvme_ring_io rings, for the guest tests.
 *
 *   nri-uring kick RING          batch in the ring SQ, kicked by URING_KICK
 *   nri-uring waitcq RING        URING_WAIT_CQ completes on ring completions
 *   nri-uring cmd RING           NVMe commands carried in 128-byte SQEs
 *   nri-uring cmd-iopoll RING    the same on an IORING_SETUP_IOPOLL ring
 *   nri-uring cmd-meta RING      URING_CMD writes and reads with metadata
 *                                (and PI), separate or extended
 *   nri-uring fixed RING NG BLK  data area as io_uring fixed buffers for
 *                                passthrough on NG and O_DIRECT on BLK
 *   nri-uring overcommit RING    more URING_CMD in flight than the queue
 *                                has, each doing what its SQE said
 *   nri-uring overcommit-batch RING  the same from an SQ of 32: one
 *                                io_uring_enter() issues more than the queue
 *                                has, and the rest wait in that call
 *   nri-uring overcommit-iopoll RING  the same on an IORING_SETUP_IOPOLL ring,
 *                                from an SQ of 32 (io_uring plugs a batch)
 *   nri-uring cancel RING        io_uring closed with commands pending
 *   nri-uring noreap RING        a client that never reaps its CQEs
 *   nri-uring sqpoll RING        the SQ poller sleeps and is woken
 *   nri-uring seed NSDEV         SETUP with uring_fd registers the data area
 *
 * Each prints one line per check and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/nvme_ioctl.h>

#include "nvmering.h"
#include "nvmering-uring.h"
#include "blocks.h"
#include "check.h"
#include "die.h"
#include "nvme-cmd.h"
#include "pattern.h"
#include "rng.h"

/* what the URING_CMD writes carry: the common pattern under this seed */
#define CMD_SEED	100

static uint32_t lba_size(const struct nvmering *r)
{
	return 1U << r->info.lba_shift;
}

/*
 * One completion, within 10 s. An IOPOLL ring ignores the wait's timeout
 * and may come back early with nothing (when its poll loop yields the
 * CPU), which liburing reports as -ETIME: wait again until the 10 s are up.
 */
static struct io_uring_cqe *wait_one(struct io_uring *ring)
{
	struct __kernel_timespec ts = { .tv_nsec = 100000000 };
	struct io_uring_cqe *cqe;
	int i, ret = -ETIME;

	for (i = 0; i < 100 && ret == -ETIME; i++)
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		die("io_uring_wait_cqe", ret);
	return cqe;
}

/* Submit what is queued, wait for one completion and return its res. */
static int run_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_submit(ring);
	cqe = wait_one(ring);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* Submit what is queued: its completion must carry res == want. */
static void expect_res(struct io_uring *ring, int want, const char *what)
{
	int res = run_one(ring);

	check(res == want, "%s: %d", what, res);
}

/* Queue n reads in the ring's SQ (slots 0..n-1, 4 KiB buffers). */
static void queue_reads(struct nvmering *r, uint32_t n)
{
	uint32_t i, nlb = 4096 / lba_size(r);

	for (i = 0; i < n; i++) {
		uint64_t slot = nvmering_slot_off(r, i);

		nvmering_prep_read(r, slot, nvmering_buf_off(r, 256, i, 4096),
				   r->info.lba_start + (uint64_t)i * nlb, nlb);
		if (nvmering_sq_push(r, slot))
			die("SQ full", EAGAIN);
	}
	nvmering_sq_publish(r);
}

static uint32_t reap_ring(struct nvmering *r, uint32_t want, int wait)
{
	struct nvme_ring_cqe c[64];
	uint32_t got = 0, n, i;

	while (got < want) {
		if (wait && nvmering_wait(r, 1, 5000))
			break;
		n = nvmering_peek_cqes(r, c, 64);
		if (!n && !wait)
			break;
		for (i = 0; i < n; i++)
			if (c[i].status || c[i].err)
				check_failures++;
		nvmering_cq_advance(r, n);
		got += n;
	}
	return got;
}

static int do_kick(struct nvmering *r)
{
	struct io_uring ring;
	int res;

	if (io_uring_queue_init(8, &ring, 0))
		die("io_uring_queue_init", errno);
	queue_reads(r, 16);
	nvmering_prep_uring_kick(io_uring_get_sqe(&ring), r, 0);
	res = run_one(&ring);
	check(res == 16, "URING_KICK consumed %d of 16", res);
	check(reap_ring(r, 16, 1) == 16, "16 ring completions after the kick");

	/* a kick on an empty SQ is counted, not an error */
	nvmering_prep_uring_kick(io_uring_get_sqe(&ring), r, 0);
	res = run_one(&ring);
	check(res == 0, "URING_KICK on an empty SQ returns %d", res);

	/* reserved fields are checked */
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		nvmering_prep_uring_kick(sqe, r, 0);
		sqe->cmd[4] = 1;
		expect_res(&ring, -EINVAL, "URING_KICK with flags set");
	}
	io_uring_queue_exit(&ring);
	return check_failures;
}

static int do_waitcq(struct nvmering *r)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int i, saw_wait = 0, saw_kick = 0, res;

	if (io_uring_queue_init(8, &ring, 0))
		die("io_uring_queue_init", errno);
	struct io_uring_sqe *sqe;

	/* the waiter goes first and must stay pending */
	sqe = io_uring_get_sqe(&ring);
	nvmering_prep_uring_wait_cq(sqe, r, 8);
	io_uring_sqe_set_data64(sqe, 1);
	io_uring_submit(&ring);
	usleep(100000);
	check(io_uring_peek_cqe(&ring, &cqe) == -EAGAIN,
	      "URING_WAIT_CQ pending while the CQ is empty");

	queue_reads(r, 8);
	sqe = io_uring_get_sqe(&ring);
	nvmering_prep_uring_kick(sqe, r, 0);
	io_uring_sqe_set_data64(sqe, 2);
	io_uring_submit(&ring);
	for (i = 0; i < 2; i++) {
		cqe = wait_one(&ring);
		if (cqe->user_data == 1) {
			saw_wait = 1;
			check(cqe->res >= 8, "URING_WAIT_CQ completed with %d ready", cqe->res);
		} else {
			saw_kick = 1;
			check(cqe->res == 8, "URING_KICK consumed %d", cqe->res);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	check(saw_wait && saw_kick, "both the waiter and the kick completed");
	check(reap_ring(r, 8, 0) == 8, "8 ring completions ready without waiting");

	/* ready already: completes at once */
	queue_reads(r, 2);
	nvmering_submit(r, 0);
	nvmering_wait(r, 2, 5000);
	nvmering_prep_uring_wait_cq(io_uring_get_sqe(&ring), r, 2);
	res = run_one(&ring);
	check(res >= 2, "URING_WAIT_CQ with entries ready: %d", res);
	reap_ring(r, 2, 0);

	nvmering_prep_uring_wait_cq(io_uring_get_sqe(&ring), r, r->cq_mask + 2);
	expect_res(&ring, -EINVAL, "URING_WAIT_CQ above the CQ size");
	io_uring_queue_exit(&ring);

	/* at most 16 waiters a queue: the 17th is refused; exit cancels */
	if (io_uring_queue_init(32, &ring, 0))
		die("io_uring_queue_init", errno);
	for (i = 0; i < 17; i++) {
		sqe = io_uring_get_sqe(&ring);
		nvmering_prep_uring_wait_cq(sqe, r, r->cq_mask + 1);
		io_uring_sqe_set_data64(sqe, 100 + i);
	}
	io_uring_submit(&ring);
	cqe = wait_one(&ring);
	check(cqe->res == -EBUSY && cqe->user_data == 116,
	      "the 17th URING_WAIT_CQ refused (%d, waiter %llu)", cqe->res,
	      (unsigned long long)cqe->user_data - 100 + 1);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);

	/* a sleeping wait has no place in an IOPOLL ring */
	if (io_uring_queue_init(4, &ring, IORING_SETUP_IOPOLL))
		die("io_uring_queue_init IOPOLL", errno);
	nvmering_prep_uring_wait_cq(io_uring_get_sqe(&ring), r, 1);
	expect_res(&ring, -EOPNOTSUPP, "URING_WAIT_CQ on an IOPOLL io_uring");
	io_uring_queue_exit(&ring);
	return check_failures;
}

static int do_cmd(struct nvmering *r, unsigned int setup_flags)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int res;
	uint32_t bs = 4096, nlb = bs / lba_size(r), i;
	uint64_t wbuf = nvmering_buf_off(r, 256, 0, bs);
	uint64_t rbuf = nvmering_buf_off(r, 256, 1, bs);
	uint64_t lba = r->info.lba_start + 64;
	struct nvmering_sqe sqe64;
	int ok = 1;

	if (io_uring_queue_init(16, &ring, IORING_SETUP_SQE128 |
				IORING_SETUP_CQE32 | setup_flags))
		die("io_uring_queue_init SQE128|CQE32", errno);

	for (i = 0; i < 8; i++) {
		pattern_fill(nvmering_buf(r, wbuf), lba + i * nlb, nlb,
			     lba_size(r), CMD_SEED);
		nvmering_sqe_rw(&sqe64, NVME_OPC_WRITE, lba + i * nlb, nlb);
		nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64, wbuf, bs);
		res = run_one(&ring);
		ok &= res == 0;
	}
	check(ok, "8 writes as URING_CMD");
	ok = 1;
	for (i = 0; i < 8; i++) {
		uint8_t *got = nvmering_buf(r, rbuf);
		uint32_t k;

		memset(got, 0, bs);
		nvmering_sqe_rw(&sqe64, NVME_OPC_READ, lba + i * nlb, nlb);
		nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64, rbuf, bs);
		res = run_one(&ring);
		ok &= res == 0;
		for (k = 0; k < nlb; k++)
			ok &= pattern_check(got + k * lba_size(r), lba + i * nlb + k,
					    lba_size(r), CMD_SEED, NULL);
	}
	check(ok, "8 reads as URING_CMD return what was written");

	/* several in flight at once */
	for (i = 0; i < 8; i++) {
		nvmering_sqe_rw(&sqe64, NVME_OPC_READ, lba + i * nlb, nlb);
		nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64,
					nvmering_buf_off(r, 256, 2 + i, bs), bs);
	}
	io_uring_submit(&ring);
	ok = 1;
	for (i = 0; i < 8; i++) {
		cqe = wait_one(&ring);
		ok &= cqe->res == 0;
		io_uring_cqe_seen(&ring, cqe);
	}
	check(ok, "8 URING_CMD reads in flight together");

	nvmering_sqe_rw(&sqe64, NVME_OPC_READ, r->info.lba_start + r->info.lba_count, nlb);
	nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64, rbuf, bs);
	expect_res(&ring, -ERANGE, "URING_CMD past the LBA window");

	nvmering_sqe_rw(&sqe64, NVME_OPC_READ, lba, nlb);
	nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64, r->data_size, bs);
	expect_res(&ring, -EFAULT, "URING_CMD buffer outside the data area");

	memset(&sqe64, 0, sizeof(sqe64));
	sqe64.opcode = NVME_OPC_FABRICS;
	nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64, 0, 0);
	expect_res(&ring, -EPERM, "URING_CMD fabrics opcode");
	io_uring_queue_exit(&ring);

	/* without SQE128 the command cannot be carried */
	if (io_uring_queue_init(4, &ring, 0))
		die("io_uring_queue_init", errno);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = r->fd;
		sqe->cmd_op = NVME_RING_IO_URING_CMD;
		expect_res(&ring, -EINVAL, "URING_CMD on a 64-byte SQE ring");
	}
	io_uring_queue_exit(&ring);
	return check_failures;
}

/*
 * A pipelined pass of URING_CMD writes (write != 0) or reads over the
 * blocks of 'span' 4 KiB chunks from the window's start: 'depth' in flight,
 * each SQE refilled as soon as io_uring has taken it. Reads go to random chunks and each must land in its own buffer with
 * its own blocks; errors and bad buffers are counted.
 */
static void overcommit_pass(struct nvmering *r, struct io_uring *ring,
			    uint32_t depth, uint32_t span, uint32_t count,
			    int write, uint32_t seed, uint32_t *errs,
			    uint32_t *bad)
{
	uint32_t bs = 4096, nlb = bs / lba_size(r), lsz = lba_size(r);
	uint32_t free_idx[64], chunk[64], nfree = depth, inflight = 0;
	uint32_t sent = 0, i, k;
	struct nvmering_sqe sqe64;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct rng rng;

	rng_seed(&rng, seed);
	for (i = 0; i < depth; i++)
		free_idx[i] = i;
	while (sent < count || inflight) {
		/* fill the SQ: at most what it has room for */
		while (sent < count && nfree && io_uring_sq_space_left(ring)) {
			uint32_t idx = free_idx[--nfree];
			uint64_t buf = nvmering_buf_off(r, 256, idx, bs);
			uint64_t lba;

			if (write) {
				chunk[idx] = sent;
			} else {
				chunk[idx] = (uint32_t)rng_below(&rng, span);
			}
			lba = r->info.lba_start + (uint64_t)chunk[idx] * nlb;
			if (write)
				pattern_fill(nvmering_buf(r, buf), lba, nlb, lsz, seed);
			else
				memset(nvmering_buf(r, buf), 0xa5, bs);
			nvmering_sqe_rw(&sqe64, write ? NVME_OPC_WRITE : NVME_OPC_READ,
					lba, nlb);
			sqe = io_uring_get_sqe(ring);
			nvmering_prep_uring_cmd(sqe, r, &sqe64, buf, bs);
			io_uring_sqe_set_data64(sqe, idx);
			sent++;
			inflight++;
		}
		io_uring_submit(ring);
		cqe = wait_one(ring);
		do {
			uint32_t idx = (uint32_t)io_uring_cqe_get_data64(cqe);
			uint8_t *got = nvmering_buf(r, nvmering_buf_off(r, 256, idx, bs));
			uint64_t lba = r->info.lba_start + (uint64_t)chunk[idx] * nlb;

			if (cqe->res)
				(*errs)++;
			else if (!write)
				for (k = 0; k < nlb; k++)
					if (!pattern_check(got + k * lsz, lba + k, lsz,
							   seed, NULL)) {
						(*bad)++;
						break;
					}
			io_uring_cqe_seen(ring, cqe);
			free_idx[nfree++] = idx;
			inflight--;
		} while (!io_uring_peek_cqe(ring, &cqe));
	}
}

/*
 * More URING_CMD commands in flight than the queue has (the test gives it
 * 8), from an SQ of sq_entries refilled as soon as io_uring takes an SQE:
 * those beyond the queue's wait, and when they go, each must still be the
 * command its SQE held. A command issued again later from its SQ slot,
 * after the client refilled it, runs another command in its place: here a
 * read buffer left unread, or blocks never written. With an SQ larger than
 * the queue, one io_uring_enter() issues more commands than the queue has,
 * and io_uring holds the first in its plug while the next one waits.
 */
static int do_overcommit(struct nvmering *r, unsigned int setup_flags,
			 unsigned int sq_entries)
{
	uint32_t depth = 32, span = 128, errs = 0, bad = 0;
	uint32_t seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	struct io_uring_params p;
	struct io_uring ring;
	int ret;

	if (r->info.lba_count < (uint64_t)span * (4096 / lba_size(r)))
		die("overcommit: the ring's window is under 512 KiB", EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE |
		  setup_flags;
	p.cq_entries = 64;
	ret = io_uring_queue_init_params(sq_entries, &ring, &p);
	if (ret)
		die("io_uring_queue_init_params", ret);
	overcommit_pass(r, &ring, depth, span, span, 1, seed, &errs, &bad);
	check(errs == 0, "%u writes, %u in flight: %u failed", span, depth, errs);
	errs = 0;
	overcommit_pass(r, &ring, depth, span, 2000, 0, seed, &errs, &bad);
	check(errs == 0 && bad == 0,
	      "2000 reads, %u in flight: %u failed, %u not what their command read",
	      depth, errs, bad);
	io_uring_queue_exit(&ring);
	return check_failures;
}

/* One read or write with its metadata (and PI) as URING_CMD: its result. */
static int meta_cmd(struct nvmering *r, struct io_uring *ring,
		    const struct blocks *b, uint8_t opc, uint64_t lba,
		    uint32_t nlb, uint64_t data, uint64_t meta)
{
	struct nvmering_sqe sqe64;

	nvmering_sqe_rw(&sqe64, opc, lba, nlb);
	if (r->info.pi_type)
		nvmering_sqe_set_pi(&sqe64, b->prinfo, (uint32_t)lba, 0, 0);
	if (b->ext)
		nvmering_prep_uring_cmd(io_uring_get_sqe(ring), r, &sqe64, data,
					nlb * b->block);
	else
		nvmering_prep_uring_cmd_meta(io_uring_get_sqe(ring), r, &sqe64,
					     data, nlb * b->block, meta);
	return run_one(ring);
}

/*
 * Writes and reads through URING_CMD on a namespace with metadata: the
 * metadata (and PI tuples) written with the data come back with it; a
 * separate buffer goes by NVME_RING_URING_CMD_F_META, and a metadata
 * length the command does not take is refused.
 */
static int do_cmd_meta(struct nvmering *r)
{
	struct blocks b;
	struct io_uring ring;
	uint32_t nlb = 8, i, k, off, dlen;
	uint64_t lba = r->info.lba_start + 256;
	uint64_t data = nvmering_buf_off(r, 16, 0, 65536);
	uint64_t meta = nvmering_buf_off(r, 16, 8, 65536);
	struct nvmering_sqe sqe64;
	const char *why;
	int ok = 1;

	if (!nvmering_meta_size(r))
		die("cmd-meta: the ring's namespace has no metadata", EINVAL);
	blocks_init(&b, r, -1);
	dlen = nlb * b.block;
	if (io_uring_queue_init(16, &ring, IORING_SETUP_SQE128 |
				IORING_SETUP_CQE32))
		die("io_uring_queue_init SQE128|CQE32", errno);
	for (i = 0; i < 4; i++) {
		blocks_fill(&b, r, nvmering_buf(r, data), nvmering_buf(r, meta),
			    lba + i * nlb, nlb, CMD_SEED);
		ok &= meta_cmd(r, &ring, &b, NVME_OPC_WRITE, lba + i * nlb, nlb,
			       data, meta) == 0;
	}
	check(ok, "4 writes with metadata as URING_CMD");
	for (i = 0; i < 4; i++) {
		memset(nvmering_buf(r, data), 0xee, dlen);
		memset(nvmering_buf(r, meta), 0xee, blocks_meta_len(&b, nlb));
		ok &= meta_cmd(r, &ring, &b, NVME_OPC_READ, lba + i * nlb, nlb,
			       data, meta) == 0;
		why = blocks_check(&b, r, nvmering_buf(r, data),
				   nvmering_buf(r, meta), lba + i * nlb, nlb,
				   CMD_SEED, &k, &off);
		if (why) {
			printf("  read %u: %s mismatch in block %u byte %u\n", i,
			       why, k, off);
			ok = 0;
		}
	}
	check(ok, "4 reads with metadata as URING_CMD return what was written");
	if (!b.ext) {
		/* a separate buffer is needed, and must be in the data area */
		nvmering_sqe_rw(&sqe64, NVME_OPC_READ, lba, nlb);
		if (r->info.pi_type)
			nvmering_sqe_set_pi(&sqe64, b.prinfo, (uint32_t)lba, 0, 0);
		nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64,
					data, dlen);
		expect_res(&ring, -EINVAL, "URING_CMD read without its metadata");
		nvmering_prep_uring_cmd_meta(io_uring_get_sqe(&ring), r, &sqe64,
					     data, dlen, r->data_size);
		expect_res(&ring, -EFAULT, "URING_CMD metadata outside the data area");
	}
	io_uring_queue_exit(&ring);
	return check_failures;
}

static int do_fixed(struct nvmering *r, const char *ng, const char *blk)
{
	struct io_uring ring;
	int res;
	uint32_t bs = 4096, nlb = bs / lba_size(r);
	uint64_t wbuf = nvmering_buf_off(r, 256, 0, bs);
	uint64_t rbuf = nvmering_buf_off(r, 256, 1, bs);
	uint64_t lba = r->info.lba_start + 256;
	struct nvme_ring_cqe rc;
	int ngfd, blkfd, ret;

	if (io_uring_queue_init(8, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32))
		die("io_uring_queue_init", errno);
	ret = nvmering_register_buffers(r, &ring);
	check(ret == 0, "data area registered as a fixed buffer (%d)", ret);
	if (ret)
		return check_failures;

	/* ring writes, passthrough on the generic device reads into the area */
	pattern_fill(nvmering_buf(r, wbuf), lba, nlb, lba_size(r), 7);
	nvmering_prep_write(r, nvmering_slot_off(r, 0), wbuf, lba, nlb);
	nvmering_sq_push(r, nvmering_slot_off(r, 0));
	nvmering_submit(r, 0);
	check(!nvmering_wait_cqe(r, &rc, 5000) && !rc.status && !rc.err,
	      "write through the ring");

	ngfd = open(ng, O_RDONLY);
	if (ngfd < 0)
		die(ng, errno);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		memset(sqe, 0, 2 * sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = ngfd;
		sqe->cmd_op = NVME_URING_CMD_IO;
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = 0;
		nvme_uring_cmd_rw((struct nvme_uring_cmd *)sqe->cmd, NVME_OPC_READ,
				  r->info.nsid, nvmering_buf(r, rbuf), bs, lba, nlb);
		memset(nvmering_buf(r, rbuf), 0, bs);
		res = run_one(&ring);
		check(res == 0 && !memcmp(nvmering_buf(r, rbuf),
					       nvmering_buf(r, wbuf), bs),
		      "passthrough read on %s into the fixed data area (res %d)",
		      ng, res);
	}
	close(ngfd);

	blkfd = open(blk, O_RDWR | O_DIRECT);
	if (blkfd < 0)
		die(blk, errno);
	memset(nvmering_buf(r, rbuf), 0, bs);
	io_uring_prep_read_fixed(io_uring_get_sqe(&ring), blkfd,
				 nvmering_buf(r, rbuf), bs, lba * lba_size(r), 0);
	res = run_one(&ring);
	check(res == (int)bs && !memcmp(nvmering_buf(r, rbuf),
					     nvmering_buf(r, wbuf), bs),
	      "O_DIRECT READ_FIXED on %s into the data area (res %d)", blk,
	      res);

	/* and the other way: O_DIRECT WRITE_FIXED, read back by the ring */
	pattern_fill(nvmering_buf(r, wbuf), lba, nlb, lba_size(r), 8);
	io_uring_prep_write_fixed(io_uring_get_sqe(&ring), blkfd,
				  nvmering_buf(r, wbuf), bs, lba * lba_size(r), 0);
	res = run_one(&ring);
	check(res == (int)bs, "O_DIRECT WRITE_FIXED from the data area (res %d)",
	      res);
	memset(nvmering_buf(r, rbuf), 0, bs);
	nvmering_prep_read(r, nvmering_slot_off(r, 1), rbuf, lba, nlb);
	nvmering_sq_push(r, nvmering_slot_off(r, 1));
	nvmering_submit(r, 0);
	check(!nvmering_wait_cqe(r, &rc, 5000) && !rc.status &&
	      !memcmp(nvmering_buf(r, rbuf), nvmering_buf(r, wbuf), bs),
	      "the ring reads what WRITE_FIXED wrote");
	close(blkfd);
	io_uring_queue_exit(&ring);
	return check_failures;
}

/* Commands pending when the io_uring goes away: all complete, none hang. */
static int do_cancel(struct nvmering *r)
{
	struct io_uring ring;
	uint32_t bs = 4096, nlb = bs / lba_size(r), i;
	struct nvmering_sqe sqe64;

	if (io_uring_queue_init(64, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32))
		die("io_uring_queue_init", errno);
	/* waiters that can never be satisfied */
	for (i = 0; i < 4; i++)
		nvmering_prep_uring_wait_cq(io_uring_get_sqe(&ring), r, r->cq_mask + 1);
	/* and URING_CMD reads in flight */
	for (i = 0; i < 16; i++) {
		nvmering_sqe_rw(&sqe64, NVME_OPC_READ, r->info.lba_start + i * nlb, nlb);
		nvmering_prep_uring_cmd(io_uring_get_sqe(&ring), r, &sqe64,
					nvmering_buf_off(r, 256, i, bs), bs);
	}
	check(io_uring_submit(&ring) == 20, "20 commands submitted");
	io_uring_queue_exit(&ring);
	check(1, "io_uring closed with waiters and commands in flight");

	/* the ring goes on working: the reads finish shortly */
	for (i = 0; i < 100; i++) {
		nvmering_refresh(r);
		if (!r->qinfo.stats.inflight)
			break;
		usleep(50000);
	}
	check(r->qinfo.stats.inflight == 0, "nothing left in flight (%llu)",
	      (unsigned long long)r->qinfo.stats.inflight);
	queue_reads(r, 4);
	nvmering_submit(r, 0);
	check(reap_ring(r, 4, 1) == 4, "ring usable after the io_uring went");
	return check_failures;
}

/* Never reap: the kernel stops at a full CQ and loses nothing. */
static int do_noreap(struct nvmering *r)
{
	uint32_t cq = r->cq_mask + 1, sq = r->sq_mask + 1, total = 0, i;
	int ret;

	for (i = 0; i < 4; i++) {
		uint32_t n = nvmering_sq_space(r);

		if (n > sq)
			n = sq;
		if (!n)
			break;
		queue_reads(r, n);
		ret = nvmering_submit(r, 0);
		if (ret > 0)
			total += ret;
		usleep(100000);
	}
	nvmering_refresh(r);
	check(total <= cq, "kernel took %u commands for a %u-entry CQ", total, cq);
	check(nvmering_cq_ready(r) == total, "%u completions wait in the CQ",
	      nvmering_cq_ready(r));
	check(r->qinfo.stats.cq_full_events > 0, "cq_full_events %llu",
	      (unsigned long long)r->qinfo.stats.cq_full_events);
	check(r->qinfo.stats.inflight == 0, "inflight %llu",
	      (unsigned long long)r->qinfo.stats.inflight);
	printf("exiting without reaping\n");
	return check_failures;
}

static int do_sqpoll(struct nvmering *r)
{
	uint32_t idle = r->info.sq_poll_idle_ms;
	uint64_t sub0;
	int i, awake = 1;

	check(nvmering_sq_polled(r), "queue has an SQ poller (idle %u ms)", idle);
	if (!idle)
		return check_failures;
	/* wake it, then keep it busy: entries go in with no system call */
	queue_reads(r, 8);
	nvmering_sq_commit(r);
	check(reap_ring(r, 8, 1) == 8, "8 completions through the poller");
	for (i = 0; i < 5; i++) {
		awake &= !nvmering_sq_need_wakeup(r);
		queue_reads(r, 8);
		/* poller awake: publishing is all it takes */
		nvmering_sq_publish(r);
		reap_ring(r, 8, 1);
	}
	check(awake, "poller stayed awake while busy; no kicks needed");

	usleep((idle * 2 + 200) * 1000);
	check(nvmering_sq_need_wakeup(r), "poller asleep after %u ms idle: NEED_WAKEUP set", idle);
	nvmering_refresh(r);
	sub0 = r->qinfo.stats.submitted;
	queue_reads(r, 8);
	nvmering_sq_commit(r);
	check(reap_ring(r, 8, 1) == 8, "8 completions after waking the poller");
	usleep(20000);
	check(!nvmering_sq_need_wakeup(r), "NEED_WAKEUP cleared once awake");
	nvmering_refresh(r);
	check(r->qinfo.stats.submitted - sub0 == 8, "submitted moved by %llu",
	      (unsigned long long)(r->qinfo.stats.submitted - sub0));
	return check_failures;
}

/* The seed's SETUP with a real uring_fd: the library registers the area. */
static int do_seed(const char *nsdev)
{
	struct io_uring ring;
	struct nvme_ring_setup s;
	struct nvmering r;
	int res;
	int nfd, ret;

	if (io_uring_queue_init(8, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32))
		die("io_uring_queue_init", errno);
	nfd = open(nsdev, O_RDWR);
	if (nfd < 0)
		die(nsdev, errno);
	memset(&s, 0, sizeof(s));
	s.sq_entries = 256;
	s.cq_entries = 256;
	s.data_size = 4 << 20;
	s.uring_fd = ring.ring_fd;
	ret = nvmering_setup(&r, nfd, &s);
	check(ret == 0, "SETUP with uring_fd (%d)", ret);
	if (ret)
		return check_failures;
	/* buffer 0 is the data area: READ_FIXED into it works */
	{
		int bfd = open(nsdev, O_RDONLY | O_DIRECT);

		io_uring_prep_read_fixed(io_uring_get_sqe(&ring), bfd,
					 nvmering_buf(&r, 65536), 4096, 0, 0);
		res = run_one(&ring);
		check(res == 4096, "READ_FIXED into the registered area (res %d)",
		      res);
		close(bfd);
	}
	nvmering_close(&r);
	close(nfd);
	io_uring_queue_exit(&ring);
	return check_failures;
}

int main(int argc, char **argv)
{
	struct nvmering r;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: nri-uring kick|waitcq|cmd|cmd-iopoll|cmd-meta|overcommit[-batch|-iopoll]|cancel|noreap|sqpoll RING\n"
				"       nri-uring fixed RING /dev/ngXnY /dev/nvmeXnY\n"
				"       nri-uring seed /dev/nvmeXnY\n");
		return 2;
	}
	if (!strcmp(argv[1], "seed"))
		return do_seed(argv[2]) ? 1 : 0;
	ret = nvmering_open(&r, argv[2], -1);
	if (ret)
		die(argv[2], ret);
	ret = nvmering_pin(&r);
	if (ret)
		die("pin", ret);

	if (!strcmp(argv[1], "kick"))
		do_kick(&r);
	else if (!strcmp(argv[1], "waitcq"))
		do_waitcq(&r);
	else if (!strcmp(argv[1], "cmd"))
		do_cmd(&r, 0);
	else if (!strcmp(argv[1], "cmd-meta"))
		do_cmd_meta(&r);
	else if (!strcmp(argv[1], "cmd-iopoll"))
		do_cmd(&r, IORING_SETUP_IOPOLL);
	else if (!strcmp(argv[1], "fixed") && argc >= 5)
		do_fixed(&r, argv[3], argv[4]);
	else if (!strcmp(argv[1], "overcommit"))
		do_overcommit(&r, 0, 8);
	else if (!strcmp(argv[1], "overcommit-batch"))
		do_overcommit(&r, 0, 32);
	else if (!strcmp(argv[1], "overcommit-iopoll"))
		do_overcommit(&r, IORING_SETUP_IOPOLL, 32);
	else if (!strcmp(argv[1], "cancel"))
		do_cancel(&r);
	else if (!strcmp(argv[1], "noreap"))
		do_noreap(&r);
	else if (!strcmp(argv[1], "sqpoll"))
		do_sqpoll(&r);
	else
		die(argv[1], EINVAL);
	nvmering_close(&r);
	printf("%s: %s\n", argv[1], check_failures ? "FAILED" : "ok");
	return check_failures ? 1 : 0;
}
