// SPDX-License-Identifier: GPL-2.0
/*
 * nri-bench: one small random-read client with engines of equal weight,
 * for comparing the ways of driving an nvme_ring_io ring with io_uring on
 * the same namespace:
 *
 *   --engine ring          a named ring (nvmering_open + nvmering_pin);
 *                          submit with NVME_RING_IO_SUBMIT, reap by peeking
 *                          the CQ, wait with NVME_RING_IO_COMPLETE only when
 *                          nothing is ready
 *   --engine ring-wait     the same ring, blocking: once the depth is full,
 *                          one SUBMIT with NVME_RING_SUBMIT_F_WAIT
 *                          (nvmering_submit_and_wait) submits the batch and
 *                          waits for a batch of completions
 *   --engine ring-uring    the same ring through an io_uring: URING_KICK
 *                          submits, URING_WAIT_CQ waits
 *   --engine ring-sqpoll   a ring with an SQ poller: publishing the SQ is
 *                          submitting (a kick only when the poller sleeps)
 *   --engine ring-cmd      NVMe commands in 128-byte SQEs on the ring's
 *                          file (NVME_RING_IO_URING_CMD), buffers in its
 *                          data area
 *   --engine uring-pt      io_uring NVMe passthrough on /dev/ngXnY:
 *                          SQE128/CQE32, SINGLE_ISSUER + DEFER_TASKRUN,
 *                          registered file and ring fd, fixed buffers
 *                          (IORING_URING_CMD_FIXED), NVME_URING_CMD_IO
 *   --engine uring-pt-wait the same passthrough, blocking: once the depth
 *                          is full, one io_uring_submit_and_wait(batch)
 *   --engine uring-direct  io_uring READ_FIXED, O_DIRECT on /dev/nvmeXnY,
 *                          SINGLE_ISSUER + DEFER_TASKRUN, registered file
 *                          and ring fd, fixed buffers
 *
 * Every engine runs the same loop: keep --depth reads in flight; prepare
 * --batch reads and submit them with one call; then gather completions
 * until --batch slots are free again, taking what is ready without blocking
 * and blocking (for the completions still missing) only when nothing is
 * ready; repeat. The blocking engines (-wait) submit the batch that fills
 * the depth with a call that also waits for a batch of completions, one
 * system call per batch, as a plain blocking client would.
 *
 * The clock is read once per batch, when the gathering ends. That reading
 * closes the reads just gathered and stamps the batch submitted next: an
 * I/O's latency is the time from its batch's submit clock to the end of the
 * gathering that reaped it, so it includes up to the time it takes a batch
 * worth of completions to arrive. Latencies go to a log-linear histogram
 * (about 3% resolution).
 *
 * Polled completions (the namespace needs poll queues): --poll hybrid makes
 * the ring engine wait with NVME_RING_COMPLETE_F_HYBRID on a ring with
 * poll=1 (without it, a polled ring's COMPLETE spins); --poll iopoll makes
 * the io_uring engines and ring-cmd use IORING_SETUP_IOPOLL (a polled ring
 * takes per-command I/O only from such an io_uring).
 *
 * With --meta (engines ring and uring-pt, a namespace with separate
 * metadata) every read also brings its blocks' metadata into a buffer of
 * its own: in the ring's data area, or in user memory for passthrough.
 *
 * With --sqpoll-cpu C the io_uring engines use an SQ thread
 * (IORING_SETUP_SQPOLL, bound to CPU C with IORING_SETUP_SQ_AFF, idle
 * after 1 s) instead of submitting themselves; the ring engines' SQ poller
 * is the ring's (sq_poll, sq_poll_cpus). client_cpu_us_per_io is the
 * client thread's own CPU time per I/O (getrusage RUSAGE_THREAD), without
 * an SQ thread's or poller's.
 *
 * With --ready FILE the client sets up, creates FILE and waits for SIGUSR1
 * before it starts, so that a script can start several clients together and
 * measure the system around the timed part only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "nvmering.h"
#include "nvmering-uring.h"
#include "clock.h"
#include "die.h"
#include "lat-hist.h"
#include "nvme-cmd.h"
#include "rng.h"

#define MAX_DEPTH	4096

enum engine { ENG_RING, ENG_URING_PT, ENG_URING_DIRECT, ENG_RING_URING,
	      ENG_RING_SQPOLL, ENG_RING_CMD, ENG_RING_WAIT, ENG_URING_PT_WAIT,
	      ENG_NR };

static const char *const engine_names[ENG_NR] = {
	"ring", "uring-pt", "uring-direct", "ring-uring", "ring-sqpoll",
	"ring-cmd", "ring-wait", "uring-pt-wait",
};

static struct {
	enum engine engine;
	const char *dev;
	const char *ring;
	const char *ready;
	int queue;
	int cpu;
	uint32_t depth;
	uint32_t batch;
	uint32_t bs;
	uint32_t lba_size;
	double time;
	uint64_t span;
	uint64_t seed;
	int json;
	int poll;	/* --poll: hybrid COMPLETE (ring), IOPOLL (io_uring) */
	int meta;	/* --meta: reads carry separate metadata buffers */
	int sqpoll_cpu;	/* --sqpoll-cpu: io_uring SQ thread there, or -1 */
} opt = {
	.engine = ENG_RING, .queue = -1, .cpu = -1, .depth = 32, .batch = 16,
	.sqpoll_cpu = -1,
	.bs = 4096, .time = 3.0, .span = 1ULL << 30, .seed = 1,
};

static struct rng rng;
static struct lat_hist hist;

static int is_ring(enum engine e)
{
	return e == ENG_RING || e == ENG_RING_URING || e == ENG_RING_SQPOLL ||
	       e == ENG_RING_CMD || e == ENG_RING_WAIT;
}

/* io_uring NVMe passthrough, either style */
static int is_pt(enum engine e)
{
	return e == ENG_URING_PT || e == ENG_URING_PT_WAIT;
}

/* ---- engines ---- */

struct eng_ops {
	/* queue a read of `lba` into buffer/slot `idx` (not yet submitted) */
	void (*prep)(uint32_t idx, uint64_t off);
	/* submit what was queued; returns the number submitted or -errno */
	int (*submit)(uint32_t n);
	/* reap up to max without blocking: indices into out, errors counted */
	uint32_t (*reap)(uint32_t *out, uint32_t max, uint64_t *errors);
	/* block until at least `min` completions are ready */
	int (*wait)(uint32_t min);
	/* blocking engines: submit, and wait for `min`, in one call */
	int (*submit_wait)(uint32_t n, uint32_t min);
};

/*
 * The io_uring engines' completions: up to max into out (user_data is the
 * index), a res other than ok_res counted as an error.
 */
static uint32_t reap_uring(struct io_uring *ring, int ok_res, uint32_t *out,
			   uint32_t max, uint64_t *errors)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	uint32_t n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		if (n == max)
			break;
		if (cqe->res != ok_res) {
			if (*errors < 5)
				fprintf(stderr, "nri-bench: %s: res %d\n",
					engine_names[opt.engine], cqe->res);
			(*errors)++;
		}
		out[n++] = (uint32_t)cqe->user_data;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

static int wait_uring(struct io_uring *ring, uint32_t min)
{
	struct io_uring_cqe *cqe;

	return io_uring_wait_cqe_nr(ring, &cqe, min);
}

/*
 * --meta: every read also brings its blocks' metadata, into a buffer of
 * its own (separate metadata); meta_len bytes each, one power-of-two
 * stride apart, so that none crosses a page.
 */
static uint32_t meta_len, meta_stride;

static void meta_layout(uint32_t ms)
{
	if (!ms)
		die("--meta: the namespace has no separate metadata", EINVAL);
	meta_len = (opt.bs / opt.lba_size) * ms;
	for (meta_stride = 64; meta_stride < meta_len; meta_stride *= 2)
		;
	if (meta_stride > 4096)
		die("--meta: more than 4 KiB of metadata per read", EINVAL);
}

/* ring */
static struct nvmering ring;
static uint32_t ring_lba_shift;
static uint64_t ring_lba_base;
static uint64_t ring_meta_base;

static void ring_prep(uint32_t idx, uint64_t off)
{
	uint64_t slot = nvmering_slot_off(&ring, idx);
	uint64_t buf = nvmering_buf_off(&ring, opt.depth, idx, opt.bs);
	uint64_t slba = ring_lba_base + (off >> ring_lba_shift);

	if (opt.meta)
		nvmering_prep_rw_meta(&ring, slot, NVMERING_OP_READ, buf,
				      ring_meta_base + (uint64_t)idx * meta_stride,
				      slba, opt.bs >> ring_lba_shift, 0);
	else
		nvmering_prep_read(&ring, slot, buf, slba,
				   opt.bs >> ring_lba_shift);
	nvmering_sq_push(&ring, slot);
}

/* what the kernel does not take now stays in the SQ for the next call */
static int ring_submit(uint32_t n)
{
	(void)n;
	return nvmering_submit(&ring, 0);
}

static uint32_t ring_reap(uint32_t *out, uint32_t max, uint64_t *errors)
{
	struct nvme_ring_cqe cqes[256];
	uint32_t n, i, total = 0;

	while (total < max) {
		uint32_t want = max - total;

		if (want > 256)
			want = 256;
		n = nvmering_peek_cqes(&ring, cqes, want);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			if (cqes[i].status || cqes[i].err) {
				if (*errors < 5)
					fprintf(stderr, "nri-bench: ring: status 0x%x (%s) err %d\n",
						cqes[i].status,
						nvmering_status_str(cqes[i].status),
						cqes[i].err);
				(*errors)++;
			}
			out[total + i] = (uint32_t)(cqes[i].slot /
						    NVME_RING_SLOT_SIZE);
		}
		nvmering_cq_advance(&ring, n);
		total += n;
	}
	return total;
}

static int ring_wait(uint32_t min)
{
	struct nvme_ring_complete c = {
		.min_complete = min,
		.timeout_ms = 5000,
		.flags = NVME_RING_COMPLETE_F_HYBRID,
	};

	if (opt.poll != 1)
		return nvmering_wait(&ring, min, 5000);
	/* a polled ring that sleeps between its polls */
	if (nvmering_cq_ready(&ring) >= min)
		return 0;
	if (ioctl(ring.fd, NVME_RING_IO_COMPLETE, &c) < 0)
		return -errno;
	return nvmering_cq_ready(&ring) >= min ? 0 : -ETIME;
}

static const struct eng_ops ring_ops = {
	.prep = ring_prep, .submit = ring_submit, .reap = ring_reap, .wait = ring_wait,
};

static int ring_submit_wait(uint32_t n, uint32_t min)
{
	(void)n;
	return nvmering_submit_and_wait(&ring, min);
}

static const struct eng_ops ring_wait_ops = {
	.prep = ring_prep, .submit = ring_submit, .reap = ring_reap,
	.wait = ring_wait, .submit_wait = ring_submit_wait,
};

/*
 * ring-uring: the same ring, driven through an io_uring: URING_KICK
 * submits, URING_WAIT_CQ waits.
 */
static struct io_uring kring;
static int kring_waiting;

#define KTAG_KICK	1
#define KTAG_WAIT	2

static int kring_reap_uring(void)
{
	struct io_uring_cqe *cqe;
	int err = 0;

	while (io_uring_peek_cqe(&kring, &cqe) == 0) {
		if (cqe->user_data == KTAG_WAIT)
			kring_waiting = 0;
		if (cqe->res < 0 && !err)
			err = cqe->res;
		io_uring_cqe_seen(&kring, cqe);
	}
	return err;
}

static struct io_uring_sqe *kring_sqe(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&kring);

	if (!sqe) {
		io_uring_submit(&kring);
		sqe = io_uring_get_sqe(&kring);
	}
	if (!sqe)
		die("io_uring SQ full", EBUSY);
	return sqe;
}

static int kring_submit(uint32_t n)
{
	struct io_uring_sqe *sqe;
	int ret;

	(void)n;
	nvmering_sq_publish(&ring);
	sqe = kring_sqe();
	nvmering_prep_uring_kick(sqe, &ring, 0);
	io_uring_sqe_set_data64(sqe, KTAG_KICK);
	ret = io_uring_submit(&kring);
	if (ret < 0)
		return ret;
	return kring_reap_uring();
}

static int kring_wait(uint32_t min)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int ret;

	while (nvmering_cq_ready(&ring) < min) {
		if (!kring_waiting) {
			sqe = kring_sqe();
			nvmering_prep_uring_wait_cq(sqe, &ring, min);
			io_uring_sqe_set_data64(sqe, KTAG_WAIT);
			kring_waiting = 1;
		}
		ret = io_uring_submit_and_wait(&kring, 1);
		if (ret < 0 && ret != -EINTR)
			return ret;
		if (io_uring_peek_cqe(&kring, &cqe) == 0) {
			ret = kring_reap_uring();
			if (ret)
				return ret;
		}
	}
	return 0;
}

static const struct eng_ops kring_ops = {
	.prep = ring_prep, .submit = kring_submit, .reap = ring_reap, .wait = kring_wait,
};

/* ring-sqpoll: a ring with an SQ poller; publishing is submitting. */
static int sqp_submit(uint32_t n)
{
	int ret;

	(void)n;
	ret = nvmering_sq_commit(&ring);
	return ret < 0 ? ret : 0;
}

static const struct eng_ops sqp_ops = {
	.prep = ring_prep, .submit = sqp_submit, .reap = ring_reap, .wait = ring_wait,
};

/*
 * ring-cmd: NVMe commands carried in 128-byte SQEs on the ring's file
 * (NVME_RING_IO_URING_CMD), buffers in the ring's data area.
 */
static void rcmd_prep(uint32_t idx, uint64_t off)
{
	struct io_uring_sqe *sqe = kring_sqe();
	uint64_t slba = ring_lba_base + (off >> ring_lba_shift);
	uint32_t nlb = opt.bs >> ring_lba_shift;
	struct nvmering_sqe nvme;

	nvmering_sqe_rw(&nvme, NVME_OPC_READ, slba, nlb);
	nvmering_prep_uring_cmd(sqe, &ring, &nvme,
				nvmering_buf_off(&ring, opt.depth, idx, opt.bs),
				opt.bs);
	/* the ring's file is registered (kring_init), as uring-pt's is */
	sqe->fd = 0;
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, idx);
}

static int rcmd_submit(uint32_t n)
{
	(void)n;
	return io_uring_submit(&kring);
}

static uint32_t rcmd_reap(uint32_t *out, uint32_t max, uint64_t *errors)
{
	return reap_uring(&kring, 0, out, max, errors);
}

static int rcmd_wait(uint32_t min)
{
	return wait_uring(&kring, min);
}

static const struct eng_ops rcmd_ops = {
	.prep = rcmd_prep, .submit = rcmd_submit, .reap = rcmd_reap, .wait = rcmd_wait,
};

static void kring_init(void)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	if (opt.engine == ENG_RING_CMD)
		p.flags |= IORING_SETUP_SQE128 | IORING_SETUP_CQE32;
	/* a polled ring takes per-command I/O only from an IOPOLL ring */
	if (opt.engine == ENG_RING_CMD && opt.poll == 2)
		p.flags |= IORING_SETUP_IOPOLL;
	ret = io_uring_queue_init_params(opt.depth * 2 + 8, &kring, &p);
	if (ret)
		die("io_uring_queue_init", ret);
	io_uring_register_ring_fd(&kring);
	if (opt.engine == ENG_RING_CMD) {
		ret = io_uring_register_files(&kring, &ring.fd, 1);
		if (ret)
			die("io_uring_register_files", ret);
	}
	if (opt.engine == ENG_RING_SQPOLL && !nvmering_sq_polled(&ring))
		die("--engine ring-sqpoll needs a ring with sq_poll=1", EINVAL);
}

static void ring_init(void)
{
	cpu_set_t set;
	int ret;

	if (!opt.ring)
		die("--engine ring needs --ring NAME", EINVAL);
	ret = nvmering_open(&ring, opt.ring, opt.queue);
	if (ret)
		die(opt.ring, ret);
	ret = nvmering_pin(&ring);
	if (ret)
		die("pin to the queue's CPUs", ret);
	if (opt.cpu >= 0) {
		/* one CPU of the queue's */
		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("sched_setaffinity", errno);
	}
	ring_lba_shift = ring.info.lba_shift;
	ring_lba_base = ring.info.lba_start;
	opt.lba_size = 1U << ring_lba_shift;
	if (opt.span > ring.info.lba_count << ring_lba_shift)
		opt.span = ring.info.lba_count << ring_lba_shift;
	/* ring-cmd uses neither: beyond the queue's contexts io_uring waits */
	if (opt.engine != ENG_RING_CMD &&
	    (ring.info.sq_entries < opt.depth || ring.info.cq_entries < opt.depth)) {
		fprintf(stderr, "nri-bench: depth %u exceeds the ring's %u SQ / %u CQ entries\n",
			opt.depth, ring.info.sq_entries, ring.info.cq_entries);
		exit(1);
	}
	if (nvmering_buf_off(&ring, opt.depth, opt.depth, opt.bs) >
	    ring.data_size) {
		fprintf(stderr, "nri-bench: depth %u x %u bytes does not fit the %" PRIu64 "-byte data area\n",
			opt.depth, opt.bs, ring.data_size);
		exit(1);
	}
	if (opt.meta) {
		if (opt.engine == ENG_RING_CMD)
			die("--meta: not with ring-cmd", EINVAL);
		if (nvmering_meta_extended(&ring))
			die("--meta: the ring's metadata is in its data buffers",
			    EINVAL);
		meta_layout(nvmering_meta_size(&ring));
		ring_meta_base = (nvmering_buf_off(&ring, opt.depth, opt.depth,
						   opt.bs) + meta_stride - 1) &
				 ~(uint64_t)(meta_stride - 1);
		if (ring_meta_base + (uint64_t)opt.depth * meta_stride >
		    ring.data_size)
			die("--meta: the metadata does not fit the data area",
			    ENOSPC);
		memset(nvmering_buf(&ring, ring_meta_base), 0,
		       (size_t)opt.depth * meta_stride);
	}
	/* touch the buffers once, as the io_uring engines do */
	memset(nvmering_buf(&ring, nvmering_buf_off(&ring, opt.depth, 0, opt.bs)),
	       0, (size_t)opt.depth * opt.bs);
}

/* io_uring, both flavours */
static struct io_uring uring;
static uint8_t *ubufs, *umeta;
static uint32_t unsid;
static uint32_t ulba_shift;

static void upt_prep(uint32_t idx, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);
	uint64_t slba = off >> ulba_shift;

	if (!sqe)
		die("io_uring SQ full", EBUSY);
	/* a 128-byte SQE: the command is in its last 80 bytes */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = 0;				/* registered file 0 */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = NVME_URING_CMD_IO;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = (uint16_t)idx;
	sqe->user_data = idx;
	nvme_uring_cmd_rw((struct nvme_uring_cmd *)(void *)sqe->cmd,
			  NVME_OPC_READ, unsid, ubufs + (size_t)idx * opt.bs,
			  opt.bs, slba, opt.bs >> ulba_shift);
	if (opt.meta) {
		struct nvme_uring_cmd *c = (void *)sqe->cmd;

		c->metadata = (uint64_t)(uintptr_t)(umeta +
						     (size_t)idx * meta_stride);
		c->metadata_len = meta_len;
	}
}

static void udir_prep(uint32_t idx, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);

	if (!sqe)
		die("io_uring SQ full", EBUSY);
	io_uring_prep_read_fixed(sqe, 0, ubufs + (size_t)idx * opt.bs, opt.bs,
				 off, (int)idx);
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->user_data = idx;
}

static int uring_submit(uint32_t n)
{
	/*
	 * One io_uring_enter: submit, and run the deferred completions; with
	 * an SQ thread, only publish (and wake it when it sleeps).
	 */
	int ret;

	if (opt.sqpoll_cpu >= 0) {
		/* what the SQ thread takes, it takes later: no count to check */
		ret = io_uring_submit(&uring);
		return ret < 0 ? ret : (int)n;
	}
	ret = io_uring_submit_and_get_events(&uring);
	if (ret >= 0 && (uint32_t)ret != n)
		return -EAGAIN;
	return ret;
}

static uint32_t uring_reap(uint32_t *out, uint32_t max, uint64_t *errors)
{
	/* passthrough: res is the NVMe status, 0 on success */
	return reap_uring(&uring, is_pt(opt.engine) ? 0 : (int)opt.bs,
			  out, max, errors);
}

static int uring_wait(uint32_t min)
{
	return wait_uring(&uring, min);
}

static const struct eng_ops upt_ops = {
	.prep = upt_prep, .submit = uring_submit, .reap = uring_reap, .wait = uring_wait,
};

static int uring_submit_wait(uint32_t n, uint32_t min)
{
	int ret = io_uring_submit_and_wait(&uring, min);

	if (ret >= 0 && (uint32_t)ret != n)
		return -EAGAIN;
	return ret;
}

static const struct eng_ops upt_wait_ops = {
	.prep = upt_prep, .submit = uring_submit, .reap = uring_reap,
	.wait = uring_wait, .submit_wait = uring_submit_wait,
};

static const struct eng_ops udir_ops = {
	.prep = udir_prep, .submit = uring_submit, .reap = uring_reap, .wait = uring_wait,
};

/* a number in the namespace's /sys/block/nvmeXnY/<file>, 0 if none */
static uint32_t blockdev_attr(const char *dev, const char *file);

/* the block device's logical block size: nvmeXnY for ngXnY */
static uint32_t blockdev_lba_size(const char *dev)
{
	return blockdev_attr(dev, "queue/logical_block_size");
}

static uint32_t blockdev_attr(const char *dev, const char *file)
{
	const char *base = strrchr(dev, '/');
	char path[256];
	unsigned int v = 0;
	FILE *f;

	base = base ? base + 1 : dev;
	if (!strncmp(base, "ng", 2))
		snprintf(path, sizeof(path), "/sys/block/nvme%s/%s", base + 2,
			 file);
	else
		snprintf(path, sizeof(path), "/sys/block/%s/%s", base, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static void uring_init(void)
{
	struct io_uring_params p;
	struct iovec *iov;
	unsigned int entries = 8;
	uint32_t i;
	int fd, ret;

	if (!opt.dev)
		die("--engine uring-* needs --dev", EINVAL);
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("sched_setaffinity", errno);
	}
	if (is_pt(opt.engine)) {
		fd = open(opt.dev, O_RDONLY);
		if (fd < 0)
			die(opt.dev, errno);
		ret = ioctl(fd, NVME_IOCTL_ID);
		if (ret <= 0)
			die("NVME_IOCTL_ID", ret < 0 ? errno : EINVAL);
		unsid = (uint32_t)ret;
		if (!opt.lba_size)
			opt.lba_size = blockdev_lba_size(opt.dev);
		if (!opt.lba_size)
			die("logical block size unknown: use --lba-size", EINVAL);
	} else {
		int bsz;

		fd = open(opt.dev, O_RDONLY | O_DIRECT);
		if (fd < 0)
			die(opt.dev, errno);
		if (ioctl(fd, BLKSSZGET, &bsz) < 0)
			die("BLKSSZGET", errno);
		opt.lba_size = (uint32_t)bsz;
	}
	ulba_shift = (uint32_t)__builtin_ctz(opt.lba_size);

	while (entries < opt.depth)
		entries <<= 1;
	memset(&p, 0, sizeof(p));
	if (opt.sqpoll_cpu >= 0) {
		/* an SQ thread submits; deferred task work is not for it */
		p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
		p.sq_thread_cpu = (uint32_t)opt.sqpoll_cpu;
		p.sq_thread_idle = 1000;
	} else {
		p.flags = IORING_SETUP_SINGLE_ISSUER |
			  IORING_SETUP_DEFER_TASKRUN;
	}
	if (is_pt(opt.engine))
		p.flags |= IORING_SETUP_SQE128 | IORING_SETUP_CQE32;
	if (opt.poll == 2)
		p.flags |= IORING_SETUP_IOPOLL;
	ret = io_uring_queue_init_params(entries, &uring, &p);
	if (ret)
		die("io_uring_queue_init_params", ret);
	ret = io_uring_register_files(&uring, &fd, 1);
	if (ret)
		die("io_uring_register_files", ret);
	ret = io_uring_register_ring_fd(&uring);
	if (ret != 1)
		die("io_uring_register_ring_fd", ret < 0 ? ret : EINVAL);

	ubufs = mmap(NULL, (size_t)opt.depth * opt.bs, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ubufs == MAP_FAILED)
		die("mmap buffers", errno);
	memset(ubufs, 0, (size_t)opt.depth * opt.bs);
	if (opt.meta) {
		if (!is_pt(opt.engine))
			die("--meta: only the ring engines and uring-pt", EINVAL);
		meta_layout(blockdev_attr(opt.dev, "metadata_bytes"));
		umeta = mmap(NULL, (size_t)opt.depth * meta_stride,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (umeta == MAP_FAILED)
			die("mmap metadata", errno);
	}
	iov = calloc(opt.depth, sizeof(*iov));
	if (!iov)
		die("calloc", ENOMEM);
	for (i = 0; i < opt.depth; i++) {
		iov[i].iov_base = ubufs + (size_t)i * opt.bs;
		iov[i].iov_len = opt.bs;
	}
	ret = io_uring_register_buffers(&uring, iov, opt.depth);
	if (ret)
		die("io_uring_register_buffers", ret);
	free(iov);
}

/* ---- the loop, the same for every engine ---- */

static uint32_t free_idx[MAX_DEPTH];
static uint64_t stamp[MAX_DEPTH];
static uint32_t done_idx[MAX_DEPTH];

struct result {
	double client_cpu_us;	/* this thread's CPU in the timed part */
	uint64_t ios;
	uint64_t errors;
	uint64_t ns;
	uint64_t submits;
	uint64_t waits;
	double lat_sum;
};

/* This thread's user and system CPU time, in microseconds. */
static double thread_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		die("getrusage", errno);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void run(const struct eng_ops *ops, struct result *res)
{
	uint32_t depth = opt.depth, eb = opt.batch < depth ? opt.batch : depth;
	uint32_t nfree = depth, inflight = 0, i, n, got, want;
	uint64_t blocks = opt.span / opt.bs;
	uint64_t t0, now, end;
	int stopping = 0, ret;

	for (i = 0; i < depth; i++)
		free_idx[i] = depth - 1 - i;
	memset(res, 0, sizeof(*res));
	res->client_cpu_us = -thread_cpu_us();
	t0 = now = now_ns();
	end = t0 + (uint64_t)(opt.time * 1e9);

	for (;;) {
		/* submit in batches while there is room */
		while (!stopping && nfree >= eb) {
			for (i = 0; i < eb; i++) {
				uint32_t idx = free_idx[--nfree];

				stamp[idx] = now;
				ops->prep(idx, rng_below(&rng, blocks) * opt.bs);
			}
			/* blocking engines: the depth is full, wait too */
			if (ops->submit_wait && nfree < eb)
				ret = ops->submit_wait(eb, eb);
			else
				ret = ops->submit(eb);
			if (ret < 0)
				die("submit", ret);
			inflight += eb;
			res->submits++;
		}
		if (!inflight)
			break;

		/*
		 * Gather completions until the next batch fits (or, when
		 * stopping, until all are in): take what is ready, and block
		 * only when nothing is.
		 */
		want = stopping ? inflight : eb - nfree;
		n = 0;
		while (n < want) {
			got = ops->reap(done_idx + n, depth - n, &res->errors);
			if (got) {
				n += got;
				continue;
			}
			ret = ops->wait(want - n);
			if (ret)
				die("wait for completions", ret);
			res->waits++;
		}

		now = now_ns();
		for (i = 0; i < n; i++) {
			uint32_t idx = done_idx[i];

			if (!stopping) {
				uint64_t lat = now - stamp[idx];

				lat_hist_add(&hist, lat);
				res->lat_sum += (double)lat;
				res->ios++;
			}
			free_idx[nfree++] = idx;
		}
		inflight -= n;
		if (!stopping && now >= end) {
			/* the timed part ends; drain without counting */
			stopping = 1;
			res->ns = now - t0;
			res->client_cpu_us += thread_cpu_us();
		}
	}
}

/* One field of the result line: key=value, or "key": value in JSON. */
static void field(int *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void field(int *n, const char *key, const char *fmt, ...)
{
	int quote = opt.json && !strcmp(fmt, "%s");
	va_list ap;

	if (opt.json)
		printf("%s\"%s\": %s", *n ? ", " : "{", key, quote ? "\"" : "");
	else
		printf("%s%s=", *n ? " " : "", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (quote)
		putchar('"');
	(*n)++;
}

static void print_result(const struct result *r)
{
	double secs = (double)r->ns / 1e9;
	double iops = secs > 0 ? (double)r->ios / secs : 0;
	double mean = r->ios ? r->lat_sum / (double)r->ios / 1e3 : 0;
	int n = 0;

	field(&n, "engine", "%s", engine_names[opt.engine]);
	field(&n, "target", "%s", is_ring(opt.engine) ? opt.ring : opt.dev);
	field(&n, "cpu", "%d", opt.cpu);
	field(&n, "queue", "%d", is_ring(opt.engine) ? (int)ring.queue : -1);
	field(&n, "depth", "%u", opt.depth);
	field(&n, "batch", "%u", opt.batch < opt.depth ? opt.batch : opt.depth);
	field(&n, "bs", "%u", opt.bs);
	field(&n, "seconds", "%.3f", secs);
	field(&n, "ios", "%" PRIu64, r->ios);
	field(&n, "iops", "%.0f", iops);
	field(&n, "errors", "%" PRIu64, r->errors);
	field(&n, "lat_mean_us", "%.1f", mean);
	field(&n, "p50_us", "%.1f", lat_hist_pct(&hist, 50) / 1e3);
	field(&n, "p99_us", "%.1f", lat_hist_pct(&hist, 99) / 1e3);
	field(&n, "p999_us", "%.1f", lat_hist_pct(&hist, 99.9) / 1e3);
	field(&n, "submits", "%" PRIu64, r->submits);
	field(&n, "waits", "%" PRIu64, r->waits);
	field(&n, "client_cpu_us_per_io", "%.2f",
	      r->ios ? r->client_cpu_us / (double)r->ios : 0);
	puts(opt.json ? "}" : "");
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nri-bench [--engine ENGINE] [--ring NAME]\n"
		"                 [--dev /dev/ngXnY|/dev/nvmeXnY] [--queue Q] [--cpu C]\n"
		"                 [--depth D] [--batch B] [--bs BYTES] [--time SECONDS]\n"
		"                 [--span BYTES] [--lba-size BYTES] [--seed S]\n"
		"                 [--ready FILE] [--poll hybrid|iopoll] [--meta]\n"
		"                 [--sqpoll-cpu C] [-o json]\n"
		"engines: ring, ring-wait, ring-uring, ring-sqpoll, ring-cmd (a ring:\n"
		"         --ring), uring-pt, uring-pt-wait (--dev /dev/ngXnY),\n"
		"         uring-direct (--dev /dev/nvmeXnY)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "engine", 1, NULL, 'e' }, { "dev", 1, NULL, 'd' },
		{ "ring", 1, NULL, 'r' }, { "queue", 1, NULL, 'q' },
		{ "cpu", 1, NULL, 'c' }, { "depth", 1, NULL, 'D' },
		{ "batch", 1, NULL, 'b' }, { "bs", 1, NULL, 'B' },
		{ "time", 1, NULL, 't' }, { "span", 1, NULL, 's' },
		{ "lba-size", 1, NULL, 'l' }, { "seed", 1, NULL, 'S' },
		{ "ready", 1, NULL, 'R' }, { "output", 1, NULL, 'o' },
		{ "poll", 1, NULL, 'P' }, { "meta", 0, NULL, 'M' },
		{ "sqpoll-cpu", 1, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	const struct eng_ops *ops;
	struct result res;
	int c, e;

	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (c) {
		case 'e':
			for (e = 0; e < ENG_NR; e++) {
				if (!strcmp(optarg, engine_names[e]))
					break;
			}
			if (e == ENG_NR)
				usage();
			opt.engine = (enum engine)e;
			break;
		case 'd': opt.dev = optarg; break;
		case 'r': opt.ring = optarg; break;
		case 'q': opt.queue = atoi(optarg); break;
		case 'c': opt.cpu = atoi(optarg); break;
		case 'D': opt.depth = strtoul(optarg, NULL, 0); break;
		case 'b': opt.batch = strtoul(optarg, NULL, 0); break;
		case 'B': opt.bs = strtoul(optarg, NULL, 0); break;
		case 't': opt.time = strtod(optarg, NULL); break;
		case 's': opt.span = strtoull(optarg, NULL, 0); break;
		case 'l': opt.lba_size = strtoul(optarg, NULL, 0); break;
		case 'S': opt.seed = strtoull(optarg, NULL, 0); break;
		case 'R': opt.ready = optarg; break;
		case 'M': opt.meta = 1; break;
		case 'Q': opt.sqpoll_cpu = atoi(optarg); break;
		case 'P':
			if (!strcmp(optarg, "hybrid"))
				opt.poll = 1;
			else if (!strcmp(optarg, "iopoll"))
				opt.poll = 2;
			else
				usage();
			break;
		case 'o':
			if (!strcmp(optarg, "json"))
				opt.json = 1;
			else if (strcmp(optarg, "kv"))
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || !opt.depth || opt.depth > MAX_DEPTH ||
	    !opt.batch || !opt.bs || opt.bs % 512 || opt.time <= 0)
		usage();
	if (opt.sqpoll_cpu >= 0 && is_ring(opt.engine))
		die("--sqpoll-cpu: io_uring engines only (a ring's SQ poller is its sq_poll and sq_poll_cpus)",
		    EINVAL);
	/* with --cpu and no --queue, a ring uses the queue serving that CPU */
	if (is_ring(opt.engine) && opt.cpu >= 0 && opt.queue < 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("sched_setaffinity", errno);
	}

	switch (opt.engine) {
	case ENG_RING:
		ring_init();
		ops = &ring_ops;
		break;
	case ENG_RING_WAIT:
		ring_init();
		ops = &ring_wait_ops;
		break;
	case ENG_RING_URING:
	case ENG_RING_SQPOLL:
	case ENG_RING_CMD:
		ring_init();
		kring_init();
		ops = opt.engine == ENG_RING_URING ? &kring_ops :
		      opt.engine == ENG_RING_SQPOLL ? &sqp_ops : &rcmd_ops;
		break;
	case ENG_URING_PT:
	case ENG_URING_PT_WAIT:
		uring_init();
		ops = opt.engine == ENG_URING_PT ? &upt_ops : &upt_wait_ops;
		break;
	default:
		uring_init();
		ops = &udir_ops;
		break;
	}
	if (opt.bs % opt.lba_size)
		die("--bs is not a multiple of the logical block size", EINVAL);
	if (opt.span < opt.bs)
		die("--span is below --bs", EINVAL);
	rng_seed(&rng, opt.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)getpid());

	if (opt.ready) {
		sigset_t set;
		int sig, fd;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fd = open(opt.ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die(opt.ready, errno);
		close(fd);
		if (sigwait(&set, &sig))
			die("sigwait", EINTR);
	}

	run(ops, &res);
	print_result(&res);
	if (is_ring(opt.engine) && opt.engine != ENG_RING &&
	    opt.engine != ENG_RING_WAIT)
		io_uring_queue_exit(&kring);
	if (is_ring(opt.engine))
		nvmering_close(&ring);
	else
		io_uring_queue_exit(&uring);
	return res.errors ? 1 : 0;
}
