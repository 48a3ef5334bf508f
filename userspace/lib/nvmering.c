// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libnvmering: the userspace half of the nvme_ring_io ring protocol, the
 * parts that are not on the hot path: opening, mapping and taking over a
 * queue, and the calls that enter the kernel. The SQ and CQ helpers are
 * inline in nvmering.h, with the ordering notes (A)-(E).
 */
#define _GNU_SOURCE
/* queue q is at q * 4 GiB: 32-bit hosts need a 64-bit off_t for mmap() */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/io_uring.h>

#include "nvmering.h"
#include "nvmering-private.h"

_Static_assert(sizeof(off_t) == sizeof(uint64_t),
	       "mmap() offsets of queues past the first need a 64-bit off_t");

/*
 * A queue has one user at a time. A new user takes it over as the last one
 * left it: once the kernel has nothing of it in flight, entries the last
 * user queued but never submitted are dropped, and completions it never
 * reaped are consumed, so they cannot be mistaken for the new user's.
 */
static int take_over(struct nvmering *r)
{
	int i, ret;

	for (i = 0; i < 200; i++) {
		struct nvme_ring_complete c = { 0 };

		ret = nvmering_refresh(r);
		if (ret)
			return ret;
		if (!r->qinfo.stats.inflight)
			break;
		/* a polled ring completes only when someone polls */
		if (r->info.flags & NVME_RING_INFO_F_POLLED)
			ioctl(r->fd, NVME_RING_IO_COMPLETE, &c);
		usleep(5000);
	}
	if (r->qinfo.stats.inflight)
		return -EBUSY;
	/* the kernel-owned words back from its own copies */
	if ((r->info.features & NVME_RING_IO_F_REPAIR_INDICES) &&
	    ioctl(r->fd, NVME_RING_IO_REPAIR_INDICES) < 0)
		return -errno;
	r->sq_tail = nvmering__load_acquire(r->sq_cons);
	nvmering__store_release(r->sq_prod, r->sq_tail);
	r->cq_head = nvmering__load_acquire(r->cq_prod);
	nvmering__store_release(r->cq_cons, r->cq_head);
	return 0;
}

void nvmering__set_region(struct nvmering *r, void *map)
{
	const struct nvme_ring_layout *l = &r->qinfo.layout;

	r->map = map;
	r->map_size = l->mmap_size;
	r->sq_prod = (uint32_t *)(r->map + l->sq.producer);
	r->sq_cons = (uint32_t *)(r->map + l->sq.consumer);
	r->sq_flags = (uint32_t *)(r->map + l->sq.flags);
	r->cq_prod = (uint32_t *)(r->map + l->cq.producer);
	r->cq_cons = (uint32_t *)(r->map + l->cq.consumer);
	r->cq_flags = (uint32_t *)(r->map + l->cq.flags);
	r->sq_desc = (uint64_t *)(r->map + l->sq.desc);
	r->cqes = (struct nvme_ring_cqe *)(r->map + l->cq.desc);
	r->data = r->map + l->data_off;
	r->data_size = l->data_size;
	r->sq_mask = r->info.sq_entries - 1;
	r->cq_mask = r->info.cq_entries - 1;
}

static int map_queue(struct nvmering *r)
{
	const struct nvme_ring_layout *l = &r->qinfo.layout;
	void *m;

	m = mmap(NULL, l->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r->fd, (off_t)l->mmap_offset);
	if (m == MAP_FAILED)
		return -errno;
	nvmering__set_region(r, m);
	return take_over(r);
}

int nvmering_refresh(struct nvmering *r)
{
	if (ioctl(r->fd, NVME_RING_IO_GET_INFO, &r->info) < 0)
		return -errno;
	memset(&r->qinfo, 0, sizeof(r->qinfo));
	r->qinfo.queue = r->queue;
	if (!(r->info.features & NVME_RING_IO_F_MULTI_QUEUE)) {
		/* one queue: GET_INFO describes it */
		r->qinfo.numa_node = r->info.numa_node;
		r->qinfo.layout = r->info.layout;
		r->qinfo.stats = r->info.stats;
		return 0;
	}
	if (ioctl(r->fd, NVME_RING_IO_GET_QUEUE_INFO, &r->qinfo) < 0)
		return -errno;
	return 0;
}

int nvmering_check_info(const struct nvme_ring_info *info, int queue)
{
	uint64_t need = NVMERING_FEATURES_REQUIRED;

	if (info->abi_version != NVME_RING_IO_ABI_VERSION)
		return -EPROTO;
	if (queue > 0)
		need |= NVME_RING_IO_F_MULTI_QUEUE;
	if ((info->features & need) != need)
		return -EOPNOTSUPP;
	return 0;
}

int nvmering_attach(struct nvmering *r, int fd, int queue)
{
	int ret;

	r->fd = fd;
	if (ioctl(fd, NVME_RING_IO_GET_INFO, &r->info) < 0)
		return -errno;
	ret = nvmering_check_info(&r->info, queue);
	if (ret)
		return ret;
	/* without MULTI_QUEUE, queue 0 is the only one and the current one */
	if (queue >= 0 && (r->info.features & NVME_RING_IO_F_MULTI_QUEUE)) {
		uint32_t q = (uint32_t)queue;

		if (ioctl(fd, NVME_RING_IO_SET_QUEUE, &q) < 0)
			return -errno;
	}
	if (ioctl(fd, NVME_RING_IO_GET_INFO, &r->info) < 0)
		return -errno;
	r->queue = r->info.queue;
	ret = nvmering_refresh(r);
	if (ret)
		return ret;
	return map_queue(r);
}

int nvmering_open(struct nvmering *r, const char *name_or_path, int queue)
{
	char path[PATH_MAX];
	int fd, ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (strchr(name_or_path, '/'))
		snprintf(path, sizeof(path), "%s", name_or_path);
	else
		snprintf(path, sizeof(path), "/dev/%s/%s",
			 NVME_RING_IO_DEV_DIR, name_or_path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r->own_fd = true;
	ret = nvmering_attach(r, fd, queue);
	if (ret) {
		close(fd);
		r->fd = -1;
	}
	return ret;
}

int nvmering_setup(struct nvmering *r, int nvme_fd,
		   const struct nvme_ring_setup *setup)
{
	struct nvme_ring_setup s;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (setup) {
		s = *setup;
	} else {
		memset(&s, 0, sizeof(s));
		s.uring_fd = -1;
	}
	s.nvme_fd = nvme_fd;
	fd = open("/dev/" NVME_RING_IO_MISC_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, NVME_RING_IO_SETUP, &s) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	r->own_fd = true;
	ret = nvmering_attach(r, fd, -1);
	if (ret) {
		close(fd);
		r->fd = -1;
		return ret;
	}
	if (setup && setup->uring_fd >= 0) {
		struct iovec iov = { .iov_base = r->data, .iov_len = r->data_size };

		if (syscall(__NR_io_uring_register, setup->uring_fd,
			    IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
			ret = -errno;
			nvmering_close(r);
			return ret;
		}
	}
	return 0;
}

void nvmering_close(struct nvmering *r)
{
	if (r->map)
		munmap(r->map, r->map_size);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int nvmering_pin(struct nvmering *r)
{
	cpu_set_t set;
	unsigned int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < 256; cpu++)
		if (r->qinfo.cpus[cpu / 64] & (1ULL << (cpu % 64)))
			CPU_SET(cpu, &set);
	if (CPU_COUNT(&set) && sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	if (numa_available() >= 0 && r->info.numa_node >= 0) {
		struct bitmask *nodes = numa_allocate_nodemask();

		numa_bitmask_setbit(nodes, (unsigned int)r->info.numa_node);
		numa_set_membind(nodes);
		numa_free_nodemask(nodes);
	}
	return 0;
}

uint64_t nvmering_buf_off(const struct nvmering *r, uint32_t nslots,
			  uint32_t i, uint32_t buf_size)
{
	uint64_t base = ((uint64_t)nslots * NVME_RING_SLOT_SIZE + 4095) &
			~4095ULL;

	(void)r;
	return base + (uint64_t)i * buf_size;
}

int nvmering_kick(struct nvmering *r, uint32_t max)
{
	struct nvme_ring_submit s = { .max_submit = max };
	int ret;

	ret = ioctl(r->fd, NVME_RING_IO_SUBMIT, &s);
	return ret < 0 ? -errno : ret;
}

int nvmering_submit(struct nvmering *r, uint32_t max)
{
	nvmering_sq_publish(r);
	return nvmering_kick(r, max);
}

int nvmering_wait(struct nvmering *r, uint32_t min, uint32_t timeout_ms)
{
	struct nvme_ring_complete c = {
		.min_complete = min,
		.timeout_ms = timeout_ms,
	};

	if (nvmering_cq_ready(r) >= min)
		return 0;
	if (ioctl(r->fd, NVME_RING_IO_COMPLETE, &c) < 0)
		return -errno;
	return nvmering_cq_ready(r) >= min ? 0 : -ETIME;
}

int nvmering_wait_cqe(struct nvmering *r, struct nvme_ring_cqe *cqe,
		      uint32_t timeout_ms)
{
	int ret = nvmering_wait(r, 1, timeout_ms);

	if (ret)
		return ret;
	nvmering_peek_cqes(r, cqe, 1);
	nvmering_cq_advance(r, 1);
	return 0;
}

int nvmering_version_major(void)
{
	return NVMERING_VERSION_MAJOR;
}

int nvmering_version_minor(void)
{
	return NVMERING_VERSION_MINOR;
}

int nvmering_version_patch(void)
{
	return NVMERING_VERSION_PATCH;
}

const char *nvmering_status_str(uint16_t status)
{
	unsigned int sct = (status >> 8) & 0x7, sc = status & 0xff;

	if (!status)
		return "Success";
	if (sct == 0) {
		switch (sc) {
		case 0x01: return "Invalid Command Opcode";
		case 0x02: return "Invalid Field in Command";
		case 0x04: return "Data Transfer Error";
		case 0x06: return "Internal Error";
		case 0x07: return "Command Abort Requested";
		case 0x0b: return "Invalid Namespace or Format";
		case 0x80: return "LBA Out of Range";
		case 0x81: return "Capacity Exceeded";
		case 0x82: return "Namespace Not Ready";
		default: break;
		}
	} else if (sct == 1) {
		return "Command Specific Error";
	} else if (sct == 2) {
		switch (sc) {
		case 0x80: return "Write Fault";
		case 0x81: return "Unrecovered Read Error";
		case 0x85: return "Compare Failure";
		case 0x86: return "Access Denied";
		default: return "Media or Data Integrity Error";
		}
	} else if (sct == 3) {
		switch (sc) {
		case 0x70: return "Host Pathing Error";
		case 0x71: return "Command Aborted By Host";
		default: return "Path Related Status";
		}
	}
	return "Vendor Specific or Unknown Status";
}
