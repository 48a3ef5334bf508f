// SPDX-License-Identifier: GPL-2.0
/*
 * nri-rdonly: what a client that opened a ring read-only may do, for the
 * guest tests.
 *
 *   nri-rdonly RING LBA
 *
 * Opens /dev/nvme_ring/RING with O_RDONLY. GET_INFO, GET_QUEUE_INFO,
 * SET_QUEUE, a read-only mapping, COMPLETE and poll() must work; a
 * writable mapping (EACCES), SUBMIT, REPAIR_INDICES, and the io_uring
 * KICK and CMD (Write Zeroes and Write on LBA) must be refused (EBADF).
 * Prints one line per check and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <liburing.h>

#include "nvmering.h"
#include "nvmering-uring.h"
#include "check.h"
#include "die.h"
#include "nvme-cmd.h"

/* One io_uring command on the ring's file; its cqe->res. */
static int uring_one(struct io_uring *ring, struct nvmering *r, __u32 op,
		     const void *sqe64, uint64_t lba_bytes)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (op == NVME_RING_IO_URING_CMD)
		nvmering_prep_uring_cmd(sqe, r, sqe64, 0, (uint32_t)lba_bytes);
	else
		nvmering_prep_uring_kick(sqe, r, 0);
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		die("io_uring", EIO);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	struct nvme_ring_complete co = { 0 };
	struct nvme_ring_submit su = { 0 };
	struct nvme_ring_queue_info qi;
	struct nvmering_sqe sqe;
	struct io_uring ring;
	struct nvmering r;
	struct pollfd pfd;
	char path[256];
	uint64_t lba;
	uint32_t q = 0;
	void *m;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: nri-rdonly RING LBA\n");
		return 2;
	}
	lba = strtoull(argv[2], NULL, 0);
	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/dev/%s/%s", NVME_RING_IO_DEV_DIR, argv[1]);
	r.fd = open(path, O_RDONLY);
	if (r.fd < 0)
		die(path, errno);

	check(ioctl(r.fd, NVME_RING_IO_GET_INFO, &r.info) == 0, "GET_INFO");
	memset(&qi, 0, sizeof(qi));
	check(ioctl(r.fd, NVME_RING_IO_GET_QUEUE_INFO, &qi) == 0, "GET_QUEUE_INFO");
	check(ioctl(r.fd, NVME_RING_IO_SET_QUEUE, &q) == 0, "SET_QUEUE");
	m = mmap(NULL, qi.layout.mmap_size, PROT_READ, MAP_SHARED, r.fd,
		 (off_t)qi.layout.mmap_offset);
	check(m != MAP_FAILED, "a read-only mapping");
	if (m != MAP_FAILED)
		munmap(m, qi.layout.mmap_size);
	m = mmap(NULL, qi.layout.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r.fd, (off_t)qi.layout.mmap_offset);
	check(m == MAP_FAILED && errno == EACCES, "a writable mapping refused (%s)",
	      m == MAP_FAILED ? strerror(errno) : "mapped");
	check(ioctl(r.fd, NVME_RING_IO_COMPLETE, &co) >= 0, "COMPLETE");
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	check(poll(&pfd, 1, 0) >= 0, "poll()");

	ret = ioctl(r.fd, NVME_RING_IO_SUBMIT, &su);
	check(ret < 0 && errno == EBADF, "SUBMIT refused (%s)",
	      ret < 0 ? strerror(errno) : "accepted");
	ret = ioctl(r.fd, NVME_RING_IO_REPAIR_INDICES);
	check(ret < 0 && errno == EBADF, "REPAIR_INDICES refused (%s)",
	      ret < 0 ? strerror(errno) : "accepted");

	if (io_uring_queue_init(8, &ring, IORING_SETUP_SQE128 |
				IORING_SETUP_CQE32))
		die("io_uring_queue_init", errno);
	ret = uring_one(&ring, &r, NVME_RING_IO_URING_KICK, NULL, 0);
	check(ret == -EBADF, "URING_KICK refused (%d)", ret);
	nvmering_sqe_rw(&sqe, NVME_OPC_WRITE_ZEROES, lba, 8);
	ret = uring_one(&ring, &r, NVME_RING_IO_URING_CMD, &sqe, 0);
	check(ret == -EBADF, "URING_CMD Write Zeroes refused (%d)", ret);
	nvmering_sqe_rw(&sqe, NVME_OPC_WRITE, lba, 1);
	ret = uring_one(&ring, &r, NVME_RING_IO_URING_CMD, &sqe,
			1ULL << r.info.lba_shift);
	check(ret == -EBADF, "URING_CMD Write refused (%d)", ret);
	io_uring_queue_exit(&ring);
	close(r.fd);
	printf("rdonly: %s\n", check_failures ? "FAILED" : "ok");
	return check_failures ? 1 : 0;
}
