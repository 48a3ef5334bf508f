/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libnvmering: userspace side of nvme_ring_io rings.
 *
 * Every function returns 0 (or a count) on success and -errno on failure.
 *
 * Typical use:
 *
 *	struct nvmering r;
 *	nvmering_open(&r, "myring", -1);	// /dev/nvme_ring/myring, the
 *						// queue of the calling CPU
 *	nvmering_pin(&r);			// run on the queue's CPUs
 *	uint64_t slot = nvmering_slot_off(&r, 0);	// slot 0
 *	uint64_t buf = nvmering_buf_off(&r, 1, 0, 4096);	// after 1 slot
 *	nvmering_prep_read(&r, slot, buf, lba, 1);
 *	nvmering_sq_push(&r, slot);
 *	nvmering_submit(&r, 0);
 *	struct nvme_ring_cqe cqe;
 *	nvmering_wait_cqe(&r, &cqe, 1000);
 *	nvmering_close(&r);
 */
#ifndef _NVMERING_H
#define _NVMERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/nvme_ring_io.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One mapped queue of a ring. */
struct nvmering {
	int fd;
	bool own_fd;
	uint32_t queue;
	struct nvme_ring_info info;
	struct nvme_ring_queue_info qinfo;
	uint8_t *map;			/* the queue's region */
	size_t map_size;

	/* pointers into the region, from the kernel's offsets */
	uint32_t *sq_prod, *sq_cons, *sq_flags;
	uint32_t *cq_prod, *cq_cons, *cq_flags;
	uint64_t *sq_desc;
	struct nvme_ring_cqe *cqes;
	uint8_t *data;
	uint64_t data_size;
	uint32_t sq_mask, cq_mask;

	/* local copies, published in batches */
	uint32_t sq_tail;		/* next SQ entry to fill */
	uint32_t cq_head;		/* next CQ entry to read */

	/*
	 * Reserved for growth, so that new members keep the size and the
	 * offsets of the existing ones: do not use. Zeroed by nvmering_open()
	 * and nvmering_setup().
	 */
	uint64_t resv[8];
};

/*
 * Open a named ring: NAME (looked up as /dev/nvme_ring/NAME) or a path.
 * queue < 0 picks the queue serving the calling CPU; the region is mapped.
 */
int nvmering_open(struct nvmering *r, const char *name_or_path, int queue);

/*
 * The seed's flow: an anonymous one-queue ring on /dev/nvme_ring_io bound
 * to the namespace open as nvme_fd. setup may be NULL for defaults. When
 * setup->uring_fd is an io_uring (not -1), the data area is registered with
 * it as fixed buffer 0.
 */
int nvmering_setup(struct nvmering *r, int nvme_fd,
		   const struct nvme_ring_setup *setup);

/* Map an already open and set up ring fd (queue < 0: the current one). */
int nvmering_attach(struct nvmering *r, int fd, int queue);

void nvmering_close(struct nvmering *r);

/* Refresh r->info and r->qinfo (counters, state). */
int nvmering_refresh(struct nvmering *r);

/* Pin the calling thread to the queue's CPUs and memory to the ring's node. */
int nvmering_pin(struct nvmering *r);

/* Offsets in the data area. Slots first, then buffers. */
static inline uint64_t nvmering_slot_off(const struct nvmering *r, uint32_t i)
{
	(void)r;
	return (uint64_t)i * NVME_RING_SLOT_SIZE;
}

/* Buffer i of buf_size bytes after `nslots` slots (4 KiB aligned). */
uint64_t nvmering_buf_off(const struct nvmering *r, uint32_t nslots,
			  uint32_t i, uint32_t buf_size);

static inline struct nvme_ring_slot *nvmering_slot(struct nvmering *r,
						   uint64_t off)
{
	return (struct nvme_ring_slot *)(r->data + off);
}

static inline void *nvmering_buf(struct nvmering *r, uint64_t off)
{
	return r->data + off;
}

/* Fill a slot. LBAs in the namespace's block size; nlb >= 1. */
void nvmering_prep_rw(struct nvmering *r, uint64_t slot, uint8_t opcode,
		      uint64_t buf_off, uint64_t slba, uint32_t nlb);
void nvmering_prep_read(struct nvmering *r, uint64_t slot, uint64_t buf_off,
			uint64_t slba, uint32_t nlb);
void nvmering_prep_write(struct nvmering *r, uint64_t slot, uint64_t buf_off,
			 uint64_t slba, uint32_t nlb);
void nvmering_prep_flush(struct nvmering *r, uint64_t slot);
void nvmering_prep_write_zeroes(struct nvmering *r, uint64_t slot,
				uint64_t slba, uint32_t nlb);
/* Any NVMe I/O command: 64-byte SQE, data buffer as offset and length. */
void nvmering_prep_raw(struct nvmering *r, uint64_t slot, const void *sqe64,
		       uint64_t buf_off, uint32_t buf_len);

/* SQ room and queuing: entries become visible at nvmering_sq_publish(). */
uint32_t nvmering_sq_space(const struct nvmering *r);
int nvmering_sq_push(struct nvmering *r, uint64_t slot);	/* -EAGAIN when full */
void nvmering_sq_publish(struct nvmering *r);

/* Publish and ask the kernel to consume up to max (0: all). Returns count. */
int nvmering_submit(struct nvmering *r, uint32_t max);

/*
 * Publish, and enter the kernel only when needed: on a queue with an SQ
 * poller (info.sq_poll_idle_ms != 0), only when the poller sleeps; without
 * one, always (as nvmering_submit). Returns 0 or the submit count.
 */
int nvmering_sq_commit(struct nvmering *r);

/* True when the queue has an SQ poller. */
bool nvmering_sq_polled(const struct nvmering *r);

/* True when the SQ poller has gone to sleep and needs a kick. */
bool nvmering_sq_need_wakeup(const struct nvmering *r);

/* Completions: peek up to n without waiting, then mark them seen. */
uint32_t nvmering_cq_ready(const struct nvmering *r);
uint32_t nvmering_peek_cqes(struct nvmering *r, struct nvme_ring_cqe *out,
			    uint32_t n);
void nvmering_cq_advance(struct nvmering *r, uint32_t n);
/* Wait until at least min are ready or timeout_ms passes (-ETIME). */
int nvmering_wait(struct nvmering *r, uint32_t min, uint32_t timeout_ms);
/* Wait for one, copy it out and mark it seen. */
int nvmering_wait_cqe(struct nvmering *r, struct nvme_ring_cqe *cqe,
		      uint32_t timeout_ms);

/* NVMe status (as in the CQE and slot) as text, e.g. "LBA Out of Range". */
const char *nvmering_status_str(uint16_t status);

#ifdef __cplusplus
}
#endif

#endif /* _NVMERING_H */
