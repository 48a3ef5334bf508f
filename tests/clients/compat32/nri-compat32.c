// SPDX-License-Identifier: GPL-2.0
/*
 * nri-compat32: a ring client built for 32-bit x86 (-m32), for the guest
 * tests. It uses the uapi header alone (no libnvmering, no libnuma), so
 * the compat ioctl path and the mmap offsets are what a 32-bit program
 * sees: every queue of the ring is mapped at its layout.mmap_offset, and a
 * block is written and read back through each queue's SQ and CQ.
 *
 *   nri-compat32 RING [LBA]
 *
 * Prints one line per queue and exits 1 if anything failed.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64	/* mmap2(): a 32-bit page offset */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/nvme_ring_io.h>

/* The uapi's layout is the same for 32-bit callers. */
_Static_assert(sizeof(struct nvme_ring_slot) == NVME_RING_SLOT_SIZE, "slot");
_Static_assert(sizeof(struct nvme_ring_cqe) == 16, "cqe");
_Static_assert(sizeof(struct nvme_ring_setup) == 64, "setup");
_Static_assert(sizeof(struct nvme_ring_submit) == 16, "submit");
_Static_assert(sizeof(struct nvme_ring_complete) == 32, "complete");
_Static_assert(sizeof(struct nvme_ring_stats) == 128, "stats");
_Static_assert(sizeof(struct nvme_ring_info) == 384, "info");
_Static_assert(sizeof(struct nvme_ring_queue_info) == 344, "queue_info");
_Static_assert(sizeof(struct nvme_ring_layout) == 96, "layout");
_Static_assert(sizeof(off_t) == 8, "mmap needs a 64-bit off_t");

#define BS	4096u

static int failures;

static uint32_t load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* One command through the mapped queue's rings: NULL, or why not. */
static const char *one_cmd(int fd, uint8_t *map,
			   const struct nvme_ring_info *info,
			   const struct nvme_ring_layout *l, uint8_t opc,
			   uint64_t lba, uint32_t nlb, uint64_t buf)
{
	uint32_t *sq_prod = (uint32_t *)(map + l->sq.producer);
	uint32_t *sq_cons = (uint32_t *)(map + l->sq.consumer);
	uint32_t *cq_prod = (uint32_t *)(map + l->cq.producer);
	uint32_t *cq_cons = (uint32_t *)(map + l->cq.consumer);
	uint64_t *sqd = (uint64_t *)(map + l->sq.desc);
	struct nvme_ring_cqe *cqes = (struct nvme_ring_cqe *)(map + l->cq.desc);
	uint8_t *data = map + l->data_off;
	struct nvme_ring_slot *s = (struct nvme_ring_slot *)data;
	struct nvme_ring_submit sub = { 0 };
	struct nvme_ring_complete c = { .min_complete = 1, .timeout_ms = 5000 };
	uint32_t tail, head, cdw;
	struct nvme_ring_cqe *cqe;

	memset(s, 0, sizeof(*s));
	s->cmd[0] = opc;
	cdw = (uint32_t)lba;
	memcpy(s->cmd + 40, &cdw, 4);
	cdw = (uint32_t)(lba >> 32);
	memcpy(s->cmd + 44, &cdw, 4);
	cdw = nlb - 1;
	memcpy(s->cmd + 48, &cdw, 4);
	s->data_off = buf;
	s->data_len = BS;

	tail = load_acquire(sq_cons);
	sqd[tail & (info->sq_entries - 1)] = 0;		/* slot 0 */
	store_release(sq_prod, tail + 1);
	if (ioctl(fd, NVME_RING_IO_SUBMIT, &sub) < 0 || sub.submitted != 1)
		return "SUBMIT";
	if (ioctl(fd, NVME_RING_IO_COMPLETE, &c) < 0 || c.available < 1)
		return "COMPLETE";
	head = load_acquire(cq_cons);
	if (load_acquire(cq_prod) == head)
		return "no CQ entry";
	cqe = &cqes[head & (info->cq_entries - 1)];
	store_release(cq_cons, head + 1);
	if (cqe->slot != 0 || cqe->status || cqe->err || s->status)
		return "error completion";
	return NULL;
}

int main(int argc, char **argv)
{
	struct nvme_ring_info info;
	char path[256];
	uint64_t lba0;
	uint32_t q;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: nri-compat32 RING [LBA]\n");
		return 2;
	}
	lba0 = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
	snprintf(path, sizeof(path), "/dev/%s/%s", NVME_RING_IO_DEV_DIR, argv[1]);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (ioctl(fd, NVME_RING_IO_GET_INFO, &info) < 0) {
		perror("GET_INFO");
		return 1;
	}
	printf("abi %u, %u queues, features 0x%" PRIx64 ", %zu-bit pointers\n",
	       info.abi_version, info.nr_queues, (uint64_t)info.features,
	       sizeof(void *) * 8);
	/* the last possible queue's offset fits mmap2()'s page offset */
	if (((uint64_t)(NVME_RING_IO_MAX_QUEUES - 1) * NVME_RING_IO_MMAP_STRIDE >>
	     12) > UINT32_MAX) {
		printf("queue %u's offset does not fit a 32-bit page offset\n",
		       NVME_RING_IO_MAX_QUEUES - 1);
		failures++;
	}

	for (q = 0; q < info.nr_queues; q++) {
		struct nvme_ring_queue_info qi = { .queue = q };
		const struct nvme_ring_layout *l = &qi.layout;
		uint64_t lba = lba0 + (uint64_t)q * 64;
		uint32_t nlb = BS >> info.lba_shift, i;
		const char *why;
		uint8_t *map;

		if (ioctl(fd, NVME_RING_IO_GET_QUEUE_INFO, &qi) < 0 ||
		    ioctl(fd, NVME_RING_IO_SET_QUEUE, &q) < 0 ||
		    ioctl(fd, NVME_RING_IO_REPAIR_INDICES) < 0) {
			printf("queue %u: ioctl: %s\n", q, strerror(errno));
			failures++;
			continue;
		}
		map = mmap(NULL, l->mmap_size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, (off_t)l->mmap_offset);
		if (map == MAP_FAILED) {
			printf("queue %u: mmap at 0x%" PRIx64 ": %s\n", q,
			       (uint64_t)l->mmap_offset, strerror(errno));
			failures++;
			continue;
		}
		/* start where the last user left the indices */
		store_release((uint32_t *)(map + l->sq.producer),
			      load_acquire((uint32_t *)(map + l->sq.consumer)));
		store_release((uint32_t *)(map + l->cq.consumer),
			      load_acquire((uint32_t *)(map + l->cq.producer)));
		for (i = 0; i < BS; i++)
			map[l->data_off + BS + i] = (uint8_t)(i * 7 + q + lba);
		why = one_cmd(fd, map, &info, l, 0x01, lba, nlb, BS);
		if (!why) {
			memset(map + l->data_off + 2 * BS, 0, BS);
			why = one_cmd(fd, map, &info, l, 0x02, lba, nlb, 2 * BS);
		}
		if (!why && memcmp(map + l->data_off + BS,
				   map + l->data_off + 2 * BS, BS))
			why = "data mismatch";
		printf("queue %u: mapped at offset 0x%" PRIx64 ", write and read back: %s\n",
		       q, (uint64_t)l->mmap_offset, why ? why : "ok");
		if (why)
			failures++;
		munmap(map, l->mmap_size);
	}
	close(fd);
	return failures ? 1 : 0;
}
