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

int nvmering_submit_and_wait(struct nvmering *r, uint32_t min_complete)
{
	struct nvme_ring_submit s = {
		.flags = NVME_RING_SUBMIT_F_WAIT,
		.min_complete = min_complete,
	};
	int ret, err;

	nvmering_sq_publish(r);
	if (nvmering_sq_polled(r)) {
		/* (E): the producer store before the flag load */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!nvmering_sq_need_wakeup(r) &&
		    nvmering_cq_ready(r) >= min_complete)
			return 0;
	}
	if (!(r->info.features & NVME_RING_IO_F_SUBMIT_WAIT)) {
		ret = nvmering_kick(r, 0);
		if (ret < 0 || !min_complete)
			return ret;
		err = nvmering_wait(r, min_complete, UINT32_MAX);
		/* as the kernel does: what was submitted is reported */
		return err && err != -ETIME && !ret ? err : ret;
	}
	ret = ioctl(r->fd, NVME_RING_IO_SUBMIT, &s);
	return ret < 0 ? -errno : ret;
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
		case 0x82: return "End-to-end Guard Check Error";
		case 0x83: return "End-to-end Application Tag Check Error";
		case 0x84: return "End-to-end Reference Tag Check Error";
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

/* CRC-16 T10 DIF, polynomial 0x8bb7, most significant bit first */
static const uint16_t nvmering__t10dif[256] = {
	0x0000, 0x8bb7, 0x9cd9, 0x176e, 0xb205, 0x39b2, 0x2edc, 0xa56b,
	0xefbd, 0x640a, 0x7364, 0xf8d3, 0x5db8, 0xd60f, 0xc161, 0x4ad6,
	0x54cd, 0xdf7a, 0xc814, 0x43a3, 0xe6c8, 0x6d7f, 0x7a11, 0xf1a6,
	0xbb70, 0x30c7, 0x27a9, 0xac1e, 0x0975, 0x82c2, 0x95ac, 0x1e1b,
	0xa99a, 0x222d, 0x3543, 0xbef4, 0x1b9f, 0x9028, 0x8746, 0x0cf1,
	0x4627, 0xcd90, 0xdafe, 0x5149, 0xf422, 0x7f95, 0x68fb, 0xe34c,
	0xfd57, 0x76e0, 0x618e, 0xea39, 0x4f52, 0xc4e5, 0xd38b, 0x583c,
	0x12ea, 0x995d, 0x8e33, 0x0584, 0xa0ef, 0x2b58, 0x3c36, 0xb781,
	0xd883, 0x5334, 0x445a, 0xcfed, 0x6a86, 0xe131, 0xf65f, 0x7de8,
	0x373e, 0xbc89, 0xabe7, 0x2050, 0x853b, 0x0e8c, 0x19e2, 0x9255,
	0x8c4e, 0x07f9, 0x1097, 0x9b20, 0x3e4b, 0xb5fc, 0xa292, 0x2925,
	0x63f3, 0xe844, 0xff2a, 0x749d, 0xd1f6, 0x5a41, 0x4d2f, 0xc698,
	0x7119, 0xfaae, 0xedc0, 0x6677, 0xc31c, 0x48ab, 0x5fc5, 0xd472,
	0x9ea4, 0x1513, 0x027d, 0x89ca, 0x2ca1, 0xa716, 0xb078, 0x3bcf,
	0x25d4, 0xae63, 0xb90d, 0x32ba, 0x97d1, 0x1c66, 0x0b08, 0x80bf,
	0xca69, 0x41de, 0x56b0, 0xdd07, 0x786c, 0xf3db, 0xe4b5, 0x6f02,
	0x3ab1, 0xb106, 0xa668, 0x2ddf, 0x88b4, 0x0303, 0x146d, 0x9fda,
	0xd50c, 0x5ebb, 0x49d5, 0xc262, 0x6709, 0xecbe, 0xfbd0, 0x7067,
	0x6e7c, 0xe5cb, 0xf2a5, 0x7912, 0xdc79, 0x57ce, 0x40a0, 0xcb17,
	0x81c1, 0x0a76, 0x1d18, 0x96af, 0x33c4, 0xb873, 0xaf1d, 0x24aa,
	0x932b, 0x189c, 0x0ff2, 0x8445, 0x212e, 0xaa99, 0xbdf7, 0x3640,
	0x7c96, 0xf721, 0xe04f, 0x6bf8, 0xce93, 0x4524, 0x524a, 0xd9fd,
	0xc7e6, 0x4c51, 0x5b3f, 0xd088, 0x75e3, 0xfe54, 0xe93a, 0x628d,
	0x285b, 0xa3ec, 0xb482, 0x3f35, 0x9a5e, 0x11e9, 0x0687, 0x8d30,
	0xe232, 0x6985, 0x7eeb, 0xf55c, 0x5037, 0xdb80, 0xccee, 0x4759,
	0x0d8f, 0x8638, 0x9156, 0x1ae1, 0xbf8a, 0x343d, 0x2353, 0xa8e4,
	0xb6ff, 0x3d48, 0x2a26, 0xa191, 0x04fa, 0x8f4d, 0x9823, 0x1394,
	0x5942, 0xd2f5, 0xc59b, 0x4e2c, 0xeb47, 0x60f0, 0x779e, 0xfc29,
	0x4ba8, 0xc01f, 0xd771, 0x5cc6, 0xf9ad, 0x721a, 0x6574, 0xeec3,
	0xa415, 0x2fa2, 0x38cc, 0xb37b, 0x1610, 0x9da7, 0x8ac9, 0x017e,
	0x1f65, 0x94d2, 0x83bc, 0x080b, 0xad60, 0x26d7, 0x31b9, 0xba0e,
	0xf0d8, 0x7b6f, 0x6c01, 0xe7b6, 0x42dd, 0xc96a, 0xde04, 0x55b3,
};

uint16_t nvmering_crc_t10dif(uint16_t crc, const void *buf, size_t len)
{
	const uint16_t *table = nvmering__t10dif;
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^ table[((crc >> 8) ^ p[i]) & 0xff]);
	return crc;
}

/* Where block i's data and metadata are, and where its PI tuple is. */
struct nvmering__pi_pos {
	const uint8_t *data;
	uint8_t *md;
	uint8_t *tuple;
	uint32_t before;	/* metadata bytes before the tuple */
};

static void nvmering__pi_pos(const struct nvmering *r, const void *data,
			     const void *meta, uint32_t i,
			     struct nvmering__pi_pos *p)
{
	uint32_t lba = 1U << r->info.lba_shift, ms = r->info.meta_size;

	if (nvmering_meta_extended(r)) {
		p->data = (const uint8_t *)data + (size_t)i * (lba + ms);
		p->md = (uint8_t *)p->data + lba;
	} else {
		p->data = (const uint8_t *)data + (size_t)i * lba;
		p->md = (uint8_t *)meta + (size_t)i * ms;
	}
	p->before = (r->info.meta_flags & NVME_RING_META_F_PI_FIRST) ? 0 :
		    ms - r->info.pi_size;
	p->tuple = p->md + p->before;
}

/* Block i's tuple: guard, application tag, reference tag, big-endian. */
static void nvmering__pi_tuple(const struct nvmering *r,
			       const struct nvmering__pi_pos *p, uint64_t lba,
			       uint16_t apptag, uint8_t t[8])
{
	uint16_t crc = nvmering_crc_t10dif(0, p->data, 1U << r->info.lba_shift);
	uint32_t ref = r->info.pi_type == 3 ? 0xffffffffU : (uint32_t)lba;

	crc = nvmering_crc_t10dif(crc, p->md, p->before);
	t[0] = crc >> 8;
	t[1] = crc & 0xff;
	t[2] = apptag >> 8;
	t[3] = apptag & 0xff;
	t[4] = ref >> 24;
	t[5] = (ref >> 16) & 0xff;
	t[6] = (ref >> 8) & 0xff;
	t[7] = ref & 0xff;
}

int nvmering_pi_generate(const struct nvmering *r, void *data, void *meta,
			 uint64_t slba, uint32_t nlb, uint16_t apptag)
{
	struct nvmering__pi_pos p;
	uint32_t i;

	if (!r->info.pi_type || r->info.pi_size != 8)
		return -EINVAL;
	for (i = 0; i < nlb; i++) {
		nvmering__pi_pos(r, data, meta, i, &p);
		nvmering__pi_tuple(r, &p, slba + i, apptag, p.tuple);
	}
	return 0;
}

int nvmering_pi_verify(const struct nvmering *r, const void *data,
		       const void *meta, uint64_t slba, uint32_t nlb,
		       uint16_t apptag)
{
	struct nvmering__pi_pos p;
	uint8_t t[8];
	uint32_t i;

	if (!r->info.pi_type || r->info.pi_size != 8)
		return -EINVAL;
	for (i = 0; i < nlb; i++) {
		nvmering__pi_pos(r, data, meta, i, &p);
		nvmering__pi_tuple(r, &p, slba + i, apptag, t);
		/* type 3 gives the reference tag no meaning: not compared */
		if (memcmp(t, p.tuple, r->info.pi_type == 3 ? 4 : sizeof(t)))
			return (int)i + 1;
	}
	return 0;
}
