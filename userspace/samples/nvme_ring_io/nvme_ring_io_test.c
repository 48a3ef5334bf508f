// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io_test: the sample program of the nvme_ring_io design.
 *
 * It uses nothing but the ABI header and plain system calls (plus liburing
 * for the io_uring instance) to show the four steps of the original flow:
 *
 *   1. ring initialisation: open /dev/nvme_ring_io, set up an io_uring with
 *      128-byte SQEs and 32-byte CQEs, NVME_RING_IO_SETUP with the NVMe
 *      namespace and the io_uring, map the queue using the layout that
 *      NVME_RING_IO_GET_INFO reports, register the data area with the
 *      io_uring as fixed buffers;
 *   2. NVMe read submission: write the command into a slot of the data
 *      area, put the slot's offset into an SQ descriptor, publish the SQ
 *      producer index with a release store, NVME_RING_IO_SUBMIT;
 *   3. completion processing: NVME_RING_IO_COMPLETE, read the CQ entries
 *      up to the producer index, check each status, release the consumer;
 *   4. statistics retrieval: NVME_RING_IO_GET_INFO.
 *
 * Usage: nvme_ring_io_test /dev/nvme0n1 [LBA]
 * Exits 0 when every read completed successfully.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/nvme_ring_io.h>

#define NR_READS	8		/* commands in one batch */
#define READ_BYTES	4096		/* per command */
#define NVME_CMD_READ	0x02

static void die(const char *what)
{
	fprintf(stderr, "nvme_ring_io_test: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The shared indices: acquire loads and release stores, as the ABI asks. */
static uint32_t load_acquire(const uint32_t *p)
{
	return atomic_load_explicit((_Atomic uint32_t *)p, memory_order_acquire);
}

static void store_release(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)p, v, memory_order_release);
}

/* An NVMe Read: opcode, starting LBA in CDW10-11, 0-based count in CDW12. */
static void prep_read(struct nvme_ring_slot *slot, uint64_t slba, uint32_t nlb,
		      uint64_t data_off, uint32_t data_len, uint64_t tag)
{
	uint32_t cdw10 = (uint32_t)slba, cdw11 = (uint32_t)(slba >> 32);
	uint32_t cdw12 = nlb - 1;

	memset(slot, 0, sizeof(*slot));
	slot->cmd[0] = NVME_CMD_READ;
	memcpy(&slot->cmd[40], &cdw10, 4);
	memcpy(&slot->cmd[44], &cdw11, 4);
	memcpy(&slot->cmd[48], &cdw12, 4);
	slot->data_off = data_off;
	slot->data_len = data_len;
	slot->user_data = tag;
}

int main(int argc, char **argv)
{
	struct nvme_ring_setup setup;
	struct nvme_ring_info info;
	struct nvme_ring_submit submit;
	struct nvme_ring_complete complete;
	struct nvme_ring_layout *l;
	struct io_uring uring;
	struct iovec iov;
	uint32_t *sq_prod, *sq_cons, *cq_prod, *cq_cons;
	uint32_t sq_mask, cq_mask, prod, head, tail, nlb, i, lba_size;
	uint64_t *sq_desc, lba = 0;
	struct nvme_ring_cqe *cqes;
	uint8_t *map, *data;
	int nvme_fd, ring_fd, ret, done = 0, bad = 0, registered = 0;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s /dev/nvmeXnY [LBA]\n", argv[0]);
		return 2;
	}
	if (argc == 3)
		lba = strtoull(argv[2], NULL, 0);

	/* 1. Ring initialisation */
	nvme_fd = open(argv[1], O_RDONLY);
	if (nvme_fd < 0)
		die(argv[1]);
	ring_fd = open("/dev/" NVME_RING_IO_MISC_NAME, O_RDWR);
	if (ring_fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "nvme_ring_io_test: /dev/nvme_ring_io is missing: modprobe nvme_ring_io\n");
		die("/dev/" NVME_RING_IO_MISC_NAME);
	}
	ret = io_uring_queue_init(256, &uring,
				  IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}

	memset(&setup, 0, sizeof(setup));
	setup.sq_entries = 256;
	setup.cq_entries = 256;
	setup.data_size = 4 * 1024 * 1024;
	setup.nvme_fd = nvme_fd;
	setup.uring_fd = uring.ring_fd;
	if (ioctl(ring_fd, NVME_RING_IO_SETUP, &setup) < 0)
		die("NVME_RING_IO_SETUP");

	memset(&info, 0, sizeof(info));
	if (ioctl(ring_fd, NVME_RING_IO_GET_INFO, &info) < 0)
		die("NVME_RING_IO_GET_INFO");
	if (info.abi_version != NVME_RING_IO_ABI_VERSION) {
		fprintf(stderr, "nvme_ring_io_test: ABI version %u, expected %u\n",
			info.abi_version, NVME_RING_IO_ABI_VERSION);
		return 1;
	}
	l = &info.layout;
	map = mmap(NULL, l->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ring_fd, (off_t)l->mmap_offset);
	if (map == MAP_FAILED)
		die("mmap");
	sq_prod = (uint32_t *)(map + l->sq.producer);
	sq_cons = (uint32_t *)(map + l->sq.consumer);
	cq_prod = (uint32_t *)(map + l->cq.producer);
	cq_cons = (uint32_t *)(map + l->cq.consumer);
	sq_desc = (uint64_t *)(map + l->sq.desc);
	cqes = (struct nvme_ring_cqe *)(map + l->cq.desc);
	data = map + l->data_off;
	sq_mask = info.sq_entries - 1;
	cq_mask = info.cq_entries - 1;
	lba_size = 1U << info.lba_shift;
	printf("ring: nsid %u, %u-byte LBAs, LBAs %llu+%llu, sq %u cq %u entries, node %d\n",
	       info.nsid, lba_size, (unsigned long long)info.lba_start,
	       (unsigned long long)info.lba_count, info.sq_entries,
	       info.cq_entries, info.numa_node);
	printf("map:  %llu bytes at offset 0x%llx; sq desc +0x%llx, cq +0x%llx, data +0x%llx (%llu bytes)\n",
	       (unsigned long long)l->mmap_size, (unsigned long long)l->mmap_offset,
	       (unsigned long long)l->sq.desc, (unsigned long long)l->cq.desc,
	       (unsigned long long)l->data_off, (unsigned long long)l->data_size);

	/* the data area as the io_uring's fixed buffer 0 */
	iov.iov_base = data;
	iov.iov_len = l->data_size;
	ret = io_uring_register_buffers(&uring, &iov, 1);
	if (ret < 0) {
		struct rlimit rl;

		getrlimit(RLIMIT_MEMLOCK, &rl);
		fprintf(stderr, "nvme_ring_io_test: warning: io_uring_register_buffers: %s (RLIMIT_MEMLOCK %llu bytes; run as root or raise it with ulimit -l)\n",
			strerror(-ret), (unsigned long long)rl.rlim_cur);
	} else {
		registered = 1;
		printf("io_uring: fd %d, data area registered as fixed buffer 0\n",
		       uring.ring_fd);
	}

	/* 2. NVMe read submission: NR_READS reads of 4 KiB, one batch */
	nlb = READ_BYTES >= lba_size ? READ_BYTES / lba_size : 1;
	if (lba < info.lba_start)
		lba = info.lba_start;
	if (info.lba_count < (uint64_t)NR_READS * nlb ||
	    lba + (uint64_t)NR_READS * nlb > info.lba_start + info.lba_count) {
		fprintf(stderr, "nvme_ring_io_test: LBA %" PRIu64 " + %u is outside the namespace\n",
			lba, NR_READS * nlb);
		return 1;
	}
	tail = load_acquire(sq_prod);
	if (info.sq_entries - (tail - load_acquire(sq_cons)) < NR_READS) {
		fprintf(stderr, "nvme_ring_io_test: SQ full\n");
		return 1;
	}
	for (i = 0; i < NR_READS; i++) {
		/* slots at the start of the data area, buffers from 64 KiB */
		uint64_t slot_off = (uint64_t)i * NVME_RING_SLOT_SIZE;
		uint64_t buf_off = 65536 + (uint64_t)i * nlb * lba_size;

		memset(data + buf_off, 0xa5, nlb * lba_size);
		prep_read((struct nvme_ring_slot *)(data + slot_off),
			  lba + (uint64_t)i * nlb, nlb, buf_off, nlb * lba_size, i);
		sq_desc[(tail + i) & sq_mask] = slot_off;
	}
	store_release(sq_prod, tail + NR_READS);

	memset(&submit, 0, sizeof(submit));
	ret = ioctl(ring_fd, NVME_RING_IO_SUBMIT, &submit);
	if (ret < 0)
		die("NVME_RING_IO_SUBMIT");
	printf("submit: %u read(s) of %u LBA(s) from LBA %" PRIu64 "\n",
	       submit.submitted, nlb, lba);

	/* 3. Completion processing */
	while (done < NR_READS) {
		memset(&complete, 0, sizeof(complete));
		complete.min_complete = 1;
		complete.timeout_ms = 5000;
		if (ioctl(ring_fd, NVME_RING_IO_COMPLETE, &complete) < 0)
			die("NVME_RING_IO_COMPLETE");
		if (!complete.available) {
			fprintf(stderr, "nvme_ring_io_test: no completion within 5 s\n");
			return 1;
		}
		head = load_acquire(cq_cons);
		prod = load_acquire(cq_prod);
		for (; head != prod; head++) {
			struct nvme_ring_cqe *c = &cqes[head & cq_mask];
			struct nvme_ring_slot *s;

			if (c->flags & NVME_RING_CQE_F_BAD_SLOT) {
				fprintf(stderr, "cqe: bad slot 0x%llx, err %d\n",
					(unsigned long long)c->slot, c->err);
				bad++;
				done++;
				continue;
			}
			s = (struct nvme_ring_slot *)(data + c->slot);
			if (c->status || c->err) {
				fprintf(stderr, "cqe: read %llu failed: status 0x%x err %d (%s)%s\n",
					(unsigned long long)s->user_data, c->status,
					c->err, c->err ? strerror(-c->err) : "NVMe error",
					c->flags & NVME_RING_CQE_F_REJECTED ? ", rejected" : "");
				bad++;
			} else {
				const uint8_t *b = data + s->data_off;

				printf("cqe: read %llu ok, %u bytes, first bytes %02x %02x %02x %02x\n",
				       (unsigned long long)s->user_data,
				       s->data_len, b[0], b[1], b[2], b[3]);
			}
			done++;
		}
		store_release(cq_cons, head);
	}

	/* 4. Statistics retrieval */
	if (ioctl(ring_fd, NVME_RING_IO_GET_INFO, &info) < 0)
		die("NVME_RING_IO_GET_INFO");
	printf("stats: submitted %llu completed %llu errors %llu invalid %llu bytes_read %llu inflight %llu state %s\n",
	       (unsigned long long)info.stats.submitted,
	       (unsigned long long)info.stats.completed,
	       (unsigned long long)info.stats.errors,
	       (unsigned long long)info.stats.invalid_descs,
	       (unsigned long long)info.stats.bytes_read,
	       (unsigned long long)info.stats.inflight,
	       info.state == NVME_RING_STATE_LIVE ? "live" : "dead");
	if (info.stats.completed < NR_READS)
		bad++;

	if (registered)
		io_uring_unregister_buffers(&uring);
	munmap(map, l->mmap_size);
	close(ring_fd);
	io_uring_queue_exit(&uring);
	close(nvme_fd);
	printf("%s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
