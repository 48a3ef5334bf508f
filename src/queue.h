/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme_ring_io: the index protocol of a queue's shared rings, in one place.
 *
 * Each queue has a submission ring (SQ: descriptors, the client produces,
 * the kernel consumes) and a completion ring (CQ: entries, the kernel
 * produces, the client consumes). The indices are free-running u32s; an
 * entry is index & (entries - 1). They live in the queue's first page,
 * struct nri_idx_page, each on a cache line of its own; the offsets the
 * client gets (struct nvme_ring_layout) are taken from that struct.
 *
 * Ordering between the client (U) and the kernel (K):
 *
 *   U: write SQ descriptors and slots
 *      store_release(sq.producer)           (A)
 *   K: load_acquire(sq.producer)            (A) pairs with U's (A)
 *      read descriptors and slots
 *      store_release(sq.consumer)           (B) pairs with U's load_acquire:
 *                                               U may reuse those entries
 *   K: write the slot's status and the CQ entry
 *      store_release(cq.producer)           (C)
 *   U: load_acquire(cq.producer)            (C) pairs with K's (C)
 *      read CQ entries and slots
 *      store_release(cq.consumer)           (D)
 *   K: load_acquire(cq.consumer)            (D) pairs with U's (D): U has
 *                                               finished reading the entries
 *                                               K may now overwrite
 *
 * The SQ poller and a client close a lost-wakeup window with a full
 * barrier on each side:
 *
 *   K: set NEED_WAKEUP in sq.flags; smp_mb() (E); load sq.producer
 *   U: store sq.producer; full fence (E); load sq.flags; kick if set
 *
 * The kernel never trusts what it reads back from the shared page: it keeps
 * its own sq_head and cq_tail, never follows the words it owns, and a
 * client index that runs ahead of what is possible is reported and refused.
 *
 * Helpers for the kernel as SQ consumer: nri_sq_peek(), nri_sq_desc(),
 * nri_sq_release(); as CQ producer: nri_cq_room(), nri_cq_next(),
 * nri_cq_publish(). The SQ side is serialised by the queue's sq_lock, the
 * CQ side by its cq_lock. No other file does index arithmetic.
 */
#ifndef _NVME_RING_IO_QUEUE_H
#define _NVME_RING_IO_QUEUE_H

#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <linux/nvme_ring_io.h>

/* One ring's index words. */
struct nri_ring_idx {
	u32 producer ____cacheline_aligned_in_smp;
	u32 consumer ____cacheline_aligned_in_smp;
	u32 flags ____cacheline_aligned_in_smp;
};

/* The first page of a queue's region. */
struct nri_idx_page {
	struct nri_ring_idx sq;
	struct nri_ring_idx cq;
};

/* The queue's view of its shared rings; embedded in struct nri_queue. */
struct nri_rings {
	struct nri_idx_page	*idx;
	u64			*sq_desc;
	struct nvme_ring_cqe	*cqes;
	u32			sq_mask;
	u32			cq_mask;
	u32			sq_head;	/* next to consume; sq_lock */
	u32			cq_tail;	/* next to produce; cq_lock */
};

static inline u32 nri_sq_entries(const struct nri_rings *r)
{
	return r->sq_mask + 1;
}

static inline u32 nri_cq_entries(const struct nri_rings *r)
{
	return r->cq_mask + 1;
}

/* ---- the kernel as SQ consumer ---- */

/*
 * Descriptors the client has published and we have not consumed, or
 * -EINVAL (with the producer in *prod) when its producer index runs
 * further ahead than the SQ holds.
 */
static inline int nri_sq_peek(struct nri_rings *r, u32 *prod)
{
	u32 pending;

	*prod = smp_load_acquire(&r->idx->sq.producer);	/* (A) */
	pending = *prod - r->sq_head;
	return pending > nri_sq_entries(r) ? -EINVAL : pending;
}

/* True when the client has published something (no ordering: a hint). */
static inline bool nri_sq_pending(const struct nri_rings *r)
{
	return READ_ONCE(r->idx->sq.producer) != r->sq_head;
}

/* The @i-th pending descriptor; only after nri_sq_peek() counted it. */
static inline u64 nri_sq_desc(const struct nri_rings *r, u32 i)
{
	return READ_ONCE(r->sq_desc[(r->sq_head + i) & r->sq_mask]);
}

/* Hand @n consumed entries back to the client. */
static inline void nri_sq_release(struct nri_rings *r, u32 n)
{
	r->sq_head += n;
	smp_store_release(&r->idx->sq.consumer, r->sq_head);	/* (B) */
}

/* The SQ poller's NEED_WAKEUP flag; the set is followed by (E). */
static inline void nri_sq_set_need_wakeup(struct nri_rings *r)
{
	WRITE_ONCE(r->idx->sq.flags, READ_ONCE(r->idx->sq.flags) |
		   NVME_RING_FLAG_NEED_WAKEUP);
	smp_mb();						/* (E) */
}

static inline void nri_sq_clear_need_wakeup(struct nri_rings *r)
{
	WRITE_ONCE(r->idx->sq.flags, READ_ONCE(r->idx->sq.flags) &
		   ~NVME_RING_FLAG_NEED_WAKEUP);
}

/* ---- the kernel as CQ producer ---- */

/*
 * Free CQ entries, or -EINVAL (with the consumer in *cons) when the
 * client's consumer index is ahead of what we produced.
 */
static inline int nri_cq_room(struct nri_rings *r, u32 *cons)
{
	u32 used;

	*cons = smp_load_acquire(&r->idx->cq.consumer);	/* (D) */
	used = r->cq_tail - *cons;
	return used > nri_cq_entries(r) ? -EINVAL : nri_cq_entries(r) - used;
}

/* The next CQ entry to fill; the caller made sure there is room. */
static inline struct nvme_ring_cqe *nri_cq_next(struct nri_rings *r)
{
	return &r->cqes[r->cq_tail & r->cq_mask];
}

/* Publish the entry nri_cq_next() gave. */
static inline void nri_cq_publish(struct nri_rings *r)
{
	r->cq_tail++;
	smp_store_release(&r->idx->cq.producer, r->cq_tail);	/* (C) */
}

/* Completions the client has not consumed; a garbage consumer reads 0. */
static inline u32 nri_cq_ready(const struct nri_rings *r)
{
	u32 ready = READ_ONCE(r->cq_tail) - READ_ONCE(r->idx->cq.consumer);

	return ready > nri_cq_entries(r) ? 0 : ready;
}

/* ---- repair: the words the kernel owns, from its own copies ---- */

/* sq_lock held; @poller: a poller owns sq.flags, leave it alone. */
static inline void nri_sq_repair(struct nri_rings *r, bool poller)
{
	if (READ_ONCE(r->idx->sq.consumer) != r->sq_head)
		smp_store_release(&r->idx->sq.consumer, r->sq_head); /* (B) */
	if (!poller && READ_ONCE(r->idx->sq.flags))
		WRITE_ONCE(r->idx->sq.flags, 0);
}

/* cq_lock held */
static inline void nri_cq_repair(struct nri_rings *r)
{
	if (READ_ONCE(r->idx->cq.producer) != r->cq_tail)
		smp_store_release(&r->idx->cq.producer, r->cq_tail); /* (C) */
	if (READ_ONCE(r->idx->cq.flags))
		WRITE_ONCE(r->idx->cq.flags, 0);
}

#endif /* _NVME_RING_IO_QUEUE_H */
