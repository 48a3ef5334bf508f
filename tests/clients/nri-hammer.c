// SPDX-License-Identifier: GPL-2.0
/*
 * nri-hammer: clients that keep going while the ring comes and goes, for
 * the guest tests of the ring's lifetime.
 *
 *   nri-hammer cmd RING SECONDS     per-command io_uring reads, 16 at once
 *   nri-hammer submit RING SECONDS QUEUE
 *                                   reads through queue QUEUE's SQ and
 *                                   SUBMIT (a queue has one user at a time)
 *   nri-hammer churn NSDEV COUNT    an anonymous ring made, given 32 reads
 *                                   and closed at once, COUNT times
 *   nri-hammer cqfull RING QUEUE    fill queue QUEUE's CQ with flushes,
 *                                   queue one more and exit without
 *                                   reaping (a queue with an SQ poller)
 *
 * cmd and submit reopen the ring whenever it goes away (the administrator
 * disabling it), and count what completed, what failed and how often the
 * ring went away; errors from a ring going away are expected, anything
 * else is not. Each prints one summary line and exits 1 on an unexpected
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include "nvmering.h"
#include "nvmering-uring.h"
#include "clock.h"
#include "die.h"
#include "nvme-cmd.h"

#define DEPTH	16
#define CMD_BUF_OFF	(1U << 20)	/* cmd's buffers in the data area */

static uint64_t done, failed, reopened, unexpected;

/* A result of a command on a ring that may be going away. */
static void account(int res)
{
	if (!res) {
		done++;
		return;
	}
	failed++;
	/* the ring went away: ENODEV, or a command cut short */
	if (res == -ENODEV || res == -EINTR || res == -ECANCELED ||
	    res == -EAGAIN || res == -EBUSY || res == -EIO)
		return;
	if (unexpected++ < 5)
		fprintf(stderr, "nri-hammer: unexpected result %d\n", res);
}

static int open_ring(struct nvmering *r, const char *name, int queue,
		     uint64_t end)
{
	while (now_ns() < end) {
		if (!nvmering_open(r, name, queue))
			return 0;
		usleep(2000);
	}
	return -1;
}

static void run_cmd(const char *name, uint64_t end)
{
	struct io_uring ring;
	struct nvmering r;

	if (io_uring_queue_init(2 * DEPTH, &ring, IORING_SETUP_SQE128 |
				IORING_SETUP_CQE32))
		die("io_uring_queue_init", errno);
	while (!open_ring(&r, name, -1, end)) {
		uint32_t bs = 1U << r.info.lba_shift, i;
		int gone = 0;

		while (!gone && now_ns() < end) {
			struct io_uring_cqe *cqe;
			struct nvmering_sqe sqe;

			for (i = 0; i < DEPTH; i++) {
				nvmering_sqe_rw(&sqe, NVME_OPC_READ,
						r.info.lba_start + i, 1);
				/*
				 * buffers from 1 MiB on: the queue may be
				 * an SQ client's too, whose slots and
				 * buffers are below
				 */
				nvmering_prep_uring_cmd(io_uring_get_sqe(&ring),
							&r, &sqe,
							CMD_BUF_OFF + i * 4096,
							bs);
			}
			io_uring_submit(&ring);
			for (i = 0; i < DEPTH; i++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					die("io_uring_wait_cqe", EIO);
				account(cqe->res);
				gone |= cqe->res == -ENODEV;
				io_uring_cqe_seen(&ring, cqe);
			}
		}
		nvmering_close(&r);
		reopened++;
	}
	io_uring_queue_exit(&ring);
}

static void run_submit(const char *name, int queue, uint64_t end)
{
	struct nvmering r;

	while (!open_ring(&r, name, queue, end)) {
		uint32_t i, n;
		int gone = 0, ret;

		while (!gone && now_ns() < end) {
			for (i = 0; i < DEPTH && nvmering_sq_space(&r); i++) {
				uint64_t slot = nvmering_slot_off(&r, i);

				nvmering_prep_read(&r, slot,
						   nvmering_buf_off(&r, DEPTH, i, 4096),
						   r.info.lba_start + i, 1);
				nvmering_sq_push(&r, slot);
			}
			ret = nvmering_submit(&r, 0);
			if (ret < 0) {
				account(ret);
				gone = 1;
				break;
			}
			ret = nvmering_wait(&r, i, 2000);
			n = nvmering_cq_ready(&r);
			while (n--) {
				struct nvme_ring_cqe *cqe;

				if (nvmering_peek_cqe(&r, &cqe))
					break;
				account(cqe->err);
				nvmering_cq_advance(&r, 1);
			}
			if (ret == -ENODEV || ret == -ETIME)
				gone = 1;
		}
		nvmering_close(&r);
		reopened++;
	}
}

static void run_churn(const char *nsdev, unsigned long count)
{
	int nfd = open(nsdev, O_RDWR);
	unsigned long k;

	if (nfd < 0)
		die(nsdev, errno);
	for (k = 0; k < count; k++) {
		struct nvme_ring_setup s = { .uring_fd = -1,
					     .sq_entries = 64, .cq_entries = 64,
					     .data_size = 2 << 20 };
		struct nvmering r;
		uint32_t i;
		int ret;

		ret = nvmering_setup(&r, nfd, &s);
		if (ret)
			die("SETUP", ret);
		for (i = 0; i < 32; i++) {
			uint64_t slot = nvmering_slot_off(&r, i);

			nvmering_prep_read(&r, slot,
					   nvmering_buf_off(&r, 32, i, 4096),
					   i, 1);
			nvmering_sq_push(&r, slot);
		}
		ret = nvmering_submit(&r, 0);
		if (ret != 32)
			die("SUBMIT", ret < 0 ? ret : EIO);
		/* closed with the reads in flight */
		nvmering_close(&r);
		done++;
	}
	close(nfd);
}

static void run_cqfull(const char *name, int queue)
{
	uint32_t i, entries;
	struct nvmering r;
	int ret, tries;

	ret = nvmering_open(&r, name, queue);
	if (ret)
		die(name, ret);
	if (!nvmering_sq_polled(&r))
		die("cqfull needs a queue with an SQ poller", EINVAL);
	entries = r.cq_mask + 1;
	for (i = 0; i <= entries; i++) {
		nvmering_prep_flush(&r, nvmering_slot_off(&r, i % 64));
		while (nvmering_sq_push(&r, nvmering_slot_off(&r, i % 64)))
			usleep(1000);
		nvmering_sq_commit(&r);
	}
	for (tries = 0; tries < 1000 && nvmering_cq_ready(&r) < entries;
	     tries++)
		usleep(10000);
	printf("cqfull: %u of %u CQ entries ready, 1 descriptor waiting\n",
	       nvmering_cq_ready(&r), entries);
	done = nvmering_cq_ready(&r) == entries;
	/* exit without reaping: the poller has nothing it can take */
	nvmering_close(&r);
	if (!done)
		unexpected++;
}

int main(int argc, char **argv)
{
	uint64_t end;

	if (argc == 4 && !strcmp(argv[1], "cqfull")) {
		run_cqfull(argv[2], atoi(argv[3]));
		return unexpected ? 1 : 0;
	}
	if (argc < 4 || (!strcmp(argv[1], "submit") && argc < 5)) {
		fprintf(stderr, "usage: nri-hammer cmd RING SECONDS\n"
				"       nri-hammer submit RING SECONDS QUEUE\n"
				"       nri-hammer churn NSDEV COUNT\n"
				"       nri-hammer cqfull RING QUEUE\n");
		return 2;
	}
	end = now_ns() + (uint64_t)(atof(argv[3]) * 1e9);
	if (!strcmp(argv[1], "cmd"))
		run_cmd(argv[2], end);
	else if (!strcmp(argv[1], "submit"))
		run_submit(argv[2], atoi(argv[4]), end);
	else if (!strcmp(argv[1], "churn"))
		run_churn(argv[2], strtoul(argv[3], NULL, 0));
	else
		die(argv[1], EINVAL);
	printf("%s: %" PRIu64 " done, %" PRIu64 " failed, %" PRIu64
	       " reopened, %" PRIu64 " unexpected\n", argv[1], done, failed,
	       reopened, unexpected);
	return unexpected ? 1 : 0;
}
