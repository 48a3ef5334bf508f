/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme_ring_io: the kernel API differences between the kernels the module
 * builds against (Debian 12's 6.1 and 6.12), in one place. Everything
 * else is written against 6.12; each entry here gives an older kernel
 * what the code uses, or says that a feature is missing there
 * (NRI_HAVE_*), in which case the module refuses it with an error and
 * leaves its feature bit out of GET_INFO.
 *
 * Adding a kernel: build against it (make KVER=...), and for each error
 * add the smallest shim here, keyed on the version that changed the API.
 * The NVMe driver's private structures are only touched in nvme_glue.c.
 */
#ifndef NRI_COMPAT_H
#define NRI_COMPAT_H

#include <linux/version.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/slab.h>

/*
 * io_uring commands as the module uses them (issue flags in
 * io_uring_cmd_done(), cancelable commands, io_uring_sqe_cmd()) need 6.7.
 * Without them the ring file has no .uring_cmd: io_uring refuses the
 * commands (EOPNOTSUPP) and GET_INFO leaves NVME_RING_IO_F_URING_CMD and
 * NVME_RING_IO_F_URING_CMD_IOPOLL out.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define NRI_HAVE_URING_CMD	1
#else
#define NRI_HAVE_URING_CMD	0
#endif

/*
 * From 6.11 io_uring copies a URING_CMD's SQE only when the command goes
 * to io-wq, and until 6.13.4 (e663da62ba86, "io_uring/uring_cmd: switch
 * sqe to async_data on EAGAIN") the copy made after a nonblocking issue
 * returned -EAGAIN is not the one io-wq reads: the retry reads the slot in
 * the SQ, which the application may have filled with its next command by
 * then. There the module never answers -EAGAIN: it waits where the issue
 * is, as io-wq would have (Debian 12's 6.12 kernels have this io_uring).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 4)
#define NRI_URING_RETRY_REREADS_SQ	1
#else
#define NRI_URING_RETRY_REREADS_SQ	0
#endif

/*
 * Tracepoints: __assign_str() takes the field alone from 6.10, the field
 * and its source before (the source is the argument of the same name: a
 * name, so using it twice has no side effect).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define nri_assign_str(f)	__assign_str(f)
#else
#define nri_assign_str(f)	__assign_str(f, f)
#endif

/*
 * Accounting on the disk: bdev_start_io_acct() took the sectors, and
 * bdev_end_io_acct() did not, before 6.3.
 */
static inline unsigned long nri_start_io_acct(struct block_device *bdev,
					      enum req_op op,
					      unsigned int sectors,
					      unsigned long start)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return bdev_start_io_acct(bdev, op, start);
#else
	return bdev_start_io_acct(bdev, sectors, op, start);
#endif
}

static inline void nri_end_io_acct(struct block_device *bdev,
				   enum req_op op, unsigned int sectors,
				   unsigned long start)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	bdev_end_io_acct(bdev, op, sectors, start);
#else
	bdev_end_io_acct(bdev, op, start);
#endif
}

/* Integrity payloads moved to their own header in 6.10. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <linux/bio-integrity.h>
#else
#include <linux/bio.h>
#endif

/* blk_rq_poll() came in 6.2; before, poll the request's context by cookie. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
static inline int blk_rq_poll(struct request *rq, struct io_comp_batch *iob,
			      unsigned int flags)
{
	struct bio bio = {};

	if (!rq->q->disk || !rq->mq_hctx)
		return 0;
	bio.bi_bdev = rq->q->disk->part0;
	bio.bi_cookie = rq->mq_hctx->queue_num;
	return bio_poll(&bio, iob, flags);
}
#endif

/* A completion batch's request list is a struct rq_list from 6.12. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define nri_iob_empty(iob)	rq_list_empty(&(iob)->req_list)
#else
#define nri_iob_empty(iob)	rq_list_empty((iob)->req_list)
#endif

/* vm_flags_set() came in 6.3, when vm_flags became read-only. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/* kvcalloc_node() is not in 6.1. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define nri_kvcalloc_node	kvcalloc_node
#else
static inline void *nri_kvcalloc_node(size_t n, size_t size, gfp_t flags,
				      int node)
{
	return kvzalloc_node(array_size(n, size), flags, node);
}
#endif

/* Classes are const from 6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define NRI_CLASS_CONST		const
#else
#define NRI_CLASS_CONST
#endif

/* A class's devnode() takes a const device from 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define NRI_DEVNODE_CONST	const
#else
#define NRI_DEVNODE_CONST
#endif

/*
 * The NVMe driver's private struct nvme_ns: the namespace's format (LBA
 * size, metadata, protection information) moved to its head in 6.8. Only
 * nvme_glue.c uses this.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define NRI_NS_FORMAT(ns)	((ns)->head)
#else
#define NRI_NS_FORMAT(ns)	(ns)
#endif

#endif /* NRI_COMPAT_H */
