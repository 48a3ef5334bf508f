/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libnvmering's io_uring helpers: header only, for applications that use
 * liburing (link with -luring). They prepare IORING_OP_URING_CMD entries
 * for a ring's file and register the data area as fixed buffers.
 */
#ifndef _NVMERING_URING_H
#define _NVMERING_URING_H

#include <string.h>
#include <sys/uio.h>
#include <liburing.h>

#include "nvmering.h"

static inline void nvmering__prep_cmd(struct io_uring_sqe *sqe,
				      const struct nvmering *r, __u32 op)
{
	if (!sqe)
		return;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = r->fd;
	sqe->cmd_op = op;
}

/* Consume the ring's SQ (like nvmering_submit); cqe->res is the count. */
static inline void nvmering_prep_uring_kick(struct io_uring_sqe *sqe,
					    const struct nvmering *r,
					    __u32 max_submit)
{
	struct nvme_ring_uring_kick k = { .max_submit = max_submit };

	nvmering__prep_cmd(sqe, r, NVME_RING_IO_URING_KICK);
	if (sqe)
		memcpy(sqe->cmd, &k, sizeof(k));
}

/* Complete when the ring's CQ holds min_complete entries. */
static inline void nvmering_prep_uring_wait_cq(struct io_uring_sqe *sqe,
					       const struct nvmering *r,
					       __u32 min_complete)
{
	struct nvme_ring_uring_wait w = { .min_complete = min_complete };

	nvmering__prep_cmd(sqe, r, NVME_RING_IO_URING_WAIT_CQ);
	if (sqe)
		memcpy(sqe->cmd, &w, sizeof(w));
}

/*
 * One NVMe command carried in a 128-byte SQE (IORING_SETUP_SQE128 and
 * CQE32): cqe->res is 0, the NVMe status or -errno; cqe->big_cqe[0] the
 * NVMe result. The SQE names the ring's file by its descriptor; with the
 * file registered (io_uring_register_files()), set sqe->fd to its index
 * and IOSQE_FIXED_FILE in sqe->flags, which spares io_uring a file lookup
 * per command.
 */
static inline void nvmering_prep_uring_cmd(struct io_uring_sqe *sqe,
					   const struct nvmering *r,
					   const void *nvme_sqe64,
					   __u64 data_off, __u32 data_len)
{
	struct nvme_ring_uring_cmd c;

	if (!sqe)
		return;
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = r->fd;
	sqe->cmd_op = NVME_RING_IO_URING_CMD;
	memset(&c, 0, sizeof(c));
	memcpy(c.cmd, nvme_sqe64, sizeof(c.cmd));
	c.data_off = data_off;
	c.data_len = data_len;
	memcpy(sqe->cmd, &c, sizeof(c));
}

/*
 * The same with a separate metadata buffer at meta_off in the data area
 * (NVME_RING_URING_CMD_F_META): its length is what the command's blocks
 * take. Use nvmering_prep_uring_cmd() on namespaces with extended LBAs,
 * whose metadata travels in the data buffer.
 */
static inline void nvmering_prep_uring_cmd_meta(struct io_uring_sqe *sqe,
						const struct nvmering *r,
						const void *nvme_sqe64,
						__u64 data_off, __u32 data_len,
						__u64 meta_off)
{
	struct nvme_ring_uring_cmd *c;
	__u64 mptr = meta_off;

	nvmering_prep_uring_cmd(sqe, r, nvme_sqe64, data_off, data_len);
	if (!sqe)
		return;
	c = (struct nvme_ring_uring_cmd *)sqe->cmd;
	c->flags = NVME_RING_URING_CMD_F_META;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	mptr = __builtin_bswap64(mptr);
#endif
	memcpy(c->cmd + 16, &mptr, sizeof(mptr));	/* the metadata field */
}

/*
 * Register the queue's data area with @ring as fixed buffer 0, so ordinary
 * io_uring I/O (NVMe passthrough with IORING_URING_CMD_FIXED, READ_FIXED /
 * WRITE_FIXED with O_DIRECT) moves data straight in and out of it.
 */
static inline int nvmering_register_buffers(const struct nvmering *r,
					    struct io_uring *ring)
{
	struct iovec iov = {
		.iov_base = r->data,
		.iov_len = r->data_size,
	};

	return io_uring_register_buffers(ring, &iov, 1);
}

#endif /* _NVMERING_URING_H */
