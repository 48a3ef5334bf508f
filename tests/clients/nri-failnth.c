// SPDX-License-Identifier: GPL-2.0
/*
 * nri-failnth: every allocation of a ring's set-up made to fail in turn,
 * with the kernel's per-task fault injection (/proc/thread-self/fail-nth,
 * CONFIG_FAULT_INJECTION; failslab and fail_page_alloc must count sleeping
 * allocations: their ignore-gfp-wait set to N).
 *
 *   nri-failnth enable RINGDIR MAX   write 1 to RINGDIR/enable
 *   nri-failnth setup NSDEV MAX      an anonymous ring (SETUP and mmap)
 *   nri-failnth submit RING MAX      32 reads submitted through queue 0
 *
 * For n = 1, 2, ... the n-th allocation of this thread fails, then the
 * operation runs. A failed operation must leave nothing behind (for enable:
 * no sysfs directory, no device node); one that succeeded although an
 * allocation failed (a fallback took over) must give a working ring. The
 * sweep ends at the first n the operation never reaches. For submit, every
 * read must complete exactly once, with success or an error status.
 *
 * Prints one summary line; exits 1 on anything unexpected, 3 when MAX is
 * reached before the sweep ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nvmering.h"
#include "die.h"

static int nth_fd = -1;
static unsigned long injected, absorbed, unexpected;
static unsigned long errnos[256];

static void arm(unsigned long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lu", n);

	if (pwrite(nth_fd, buf, (size_t)len, 0) != len)
		die("fail-nth", errno);
}

/* Disarms; true when the armed fault was injected. */
static int disarm(void)
{
	char buf[32] = "";
	ssize_t len = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		die("fail-nth", len < 0 ? errno : EIO);
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		die("fail-nth", errno);
	return strtoul(buf, NULL, 0) == 0;
}

static void oops(const char *fmt, unsigned long n, int err)
{
	unexpected++;
	fprintf(stderr, "nri-failnth: at n=%lu: ", n);
	fprintf(stderr, fmt, err, strerror(err));
	fputc('\n', stderr);
}

/* Writes VAL to DIR/enable; 0 or a positive errno. */
static int write_enable(int fd, const char *val)
{
	if (pwrite(fd, val, strlen(val), 0) < 0)
		return errno;
	return 0;
}

static int exists(const char *fmt, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, name);
	return access(path, F_OK) == 0;
}

/* One step of the enable sweep; returns 1 when the sweep is over. */
static int step_enable(const char *dir, const char *name, unsigned long n)
{
	char path[512];
	int fd, err, hit;

	snprintf(path, sizeof(path), "%s/enable", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die(path, errno);
	arm(n);
	err = write_enable(fd, "1");
	hit = disarm();
	if (!hit) {
		if (err)
			oops("enable failed with %d (%s) with no fault injected", n, err);
		write_enable(fd, "0");
		close(fd);
		return 1;
	}
	injected++;
	if (err) {
		errnos[err & 255]++;
		if (exists("/sys/class/nvme_ring_io/%s", name))
			oops("enable failed (%d, %s) but the ring is in sysfs", n, err);
		if (exists("/dev/nvme_ring/%s", name))
			oops("enable failed (%d, %s) but its device node exists", n, err);
	} else {
		absorbed++;
		if (!exists("/sys/class/nvme_ring_io/%s", name))
			oops("enable returned %d (%s) but the ring is not in sysfs", n, 0);
		err = write_enable(fd, "0");
		if (err)
			oops("disable failed with %d (%s)", n, err);
	}
	close(fd);
	return 0;
}

/* A read through queue r, completed; 0 or a negative errno. */
static int one_read(struct nvmering *r)
{
	uint64_t slot = nvmering_slot_off(r, 0);
	struct nvme_ring_cqe cqe;
	int ret;

	nvmering_prep_read(r, slot, nvmering_buf_off(r, 1, 0, 4096),
			   r->info.lba_start, 1);
	nvmering_sq_push(r, slot);
	ret = nvmering_submit(r, 0);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = nvmering_wait(r, 1, 10000);
	if (ret)
		return ret;
	if (nvmering_peek_cqes(r, &cqe, 1) != 1)
		return -EIO;
	nvmering_cq_advance(r, 1);
	return cqe.err ? cqe.err : (cqe.status ? -EIO : 0);
}

static int step_setup(int nfd, unsigned long n)
{
	struct nvme_ring_setup s = { .uring_fd = -1, .sq_entries = 64,
				     .cq_entries = 64, .data_size = 2 << 20 };
	struct nvmering r;
	int ret, hit;

	arm(n);
	ret = nvmering_setup(&r, nfd, &s);
	hit = disarm();
	if (!hit) {
		if (ret)
			oops("SETUP failed with %d (%s) with no fault injected", n, -ret);
		else
			nvmering_close(&r);
		return 1;
	}
	injected++;
	if (ret) {
		errnos[-ret & 255]++;
		return 0;
	}
	absorbed++;
	ret = one_read(&r);
	if (ret)
		oops("a read on the ring made despite the fault: %d (%s)", n, -ret);
	nvmering_close(&r);
	return 0;
}

#define READS	32

static uint32_t sq_pending(const struct nvmering *r)
{
	return r->sq_mask + 1 - nvmering_sq_space(r);
}

static int step_submit(struct nvmering *r, unsigned long n)
{
	struct nvme_ring_cqe cqe[READS];
	uint32_t i, got = 0, k;
	int ret, hit;

	for (i = 0; i < READS; i++) {
		uint64_t slot = nvmering_slot_off(r, i);

		nvmering_prep_read(r, slot, nvmering_buf_off(r, READS, i, 4096),
				   r->info.lba_start + i, 1);
		nvmering_sq_push(r, slot);
	}
	arm(n);
	ret = nvmering_submit(r, 0);
	hit = disarm();
	if (ret < 0)
		errnos[-ret & 255]++;
	/* what SUBMIT did not take stays in the SQ: offer it again */
	for (i = 0; i < 100 && sq_pending(r); i++)
		nvmering_submit(r, 0);
	if (sq_pending(r)) {
		oops("%d descriptors never taken", n, (int)sq_pending(r));
		return 1;
	}
	while (got < READS) {
		if (nvmering_wait(r, 1, 10000)) {
			oops("only %d of 32 reads completed", n, (int)got);
			return 1;
		}
		k = nvmering_peek_cqes(r, cqe, READS - got);
		for (i = 0; i < k; i++) {
			if (cqe[i].err)
				errnos[-cqe[i].err & 255]++;
			else if (cqe[i].status)
				errnos[EIO]++;
		}
		nvmering_cq_advance(r, k);
		got += k;
	}
	if (nvmering_cq_ready(r))
		oops("%d completions more than commands", n, (int)nvmering_cq_ready(r));
	if (!hit)
		return 1;
	injected++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n, max;
	struct nvmering r;
	char *name = NULL;
	int over = 0, nfd = -1, ret, i;

	if (argc != 4)
		goto usage;
	max = strtoul(argv[3], NULL, 0);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		die("/proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)", errno);
	if (!strcmp(argv[1], "enable")) {
		name = basename(strdup(argv[2]));
	} else if (!strcmp(argv[1], "setup")) {
		nfd = open(argv[2], O_RDWR);
		if (nfd < 0)
			die(argv[2], errno);
	} else if (!strcmp(argv[1], "submit")) {
		ret = nvmering_open(&r, argv[2], 0);
		if (ret)
			die(argv[2], -ret);
	} else {
		goto usage;
	}
	for (n = 1; n <= max && !over; n++) {
		if (name)
			over = step_enable(argv[2], name, n);
		else if (nfd >= 0)
			over = step_setup(nfd, n);
		else
			over = step_submit(&r, n);
	}
	printf("%s: %lu allocation(s) made to fail, %lu absorbed by a fallback, "
	       "%lu unexpected", argv[1], injected, absorbed, unexpected);
	for (i = 1; i < 256; i++) {
		if (errnos[i])
			printf(", %lu %s", errnos[i],
			       i == EIO ? "EIO" : strerrorname_np(i));
	}
	printf("%s\n", over ? "" : ", sweep not finished");
	if (unexpected)
		return 1;
	return over ? 0 : 3;
usage:
	fprintf(stderr, "usage: nri-failnth enable RINGDIR MAX\n"
			"       nri-failnth setup NSDEV MAX\n"
			"       nri-failnth submit RING MAX\n");
	return 2;
}
