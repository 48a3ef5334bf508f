/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nvme_ring_io: shared-memory submission/completion rings for NVMe
 * passthrough, in the manner of AF_XDP.
 *
 * This header is the whole contract between the module and userspace.
 *
 * A ring has one or more queues. Each queue is one mmap()able region:
 *
 *   +--------------------------+ 0
 *   | indices page             |   SQ producer, SQ consumer, SQ flags,
 *   |                          |   CQ producer, CQ consumer, CQ flags,
 *   |                          |   each on its own cache line
 *   +--------------------------+ 4 KiB
 *   | SQ descriptors (__u64)   |   data-area offset of a command slot
 *   +--------------------------+
 *   | CQ entries               |   struct nvme_ring_cqe
 *   +--------------------------+ data_off (page aligned)
 *   | data area                |   command slots and data buffers
 *   +--------------------------+ mmap_size
 *
 * Userspace must read every offset from NVME_RING_IO_GET_QUEUE_INFO (or
 * NVME_RING_IO_GET_INFO for the file's current queue) and never assume it.
 *
 * Index protocol (free-running __u32 indices, entry = index & (entries - 1)):
 *   SQ: userspace writes descriptors, then stores sq.producer with release;
 *       the kernel loads sq.producer with acquire, reads the descriptors,
 *       then stores sq.consumer with release.
 *   CQ: the kernel writes entries, then stores cq.producer with release;
 *       userspace loads cq.producer with acquire, reads the entries, then
 *       stores cq.consumer with release.
 */
#ifndef _UAPI_LINUX_NVME_RING_IO_H
#define _UAPI_LINUX_NVME_RING_IO_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Compatibility. abi_version is 1 and stays 1: the interface grows, it is
 * never redefined. A kernel reports what it offers as NVME_RING_IO_F_* bits
 * in nvme_ring_info.features; a new ioctl, field or behaviour comes with a
 * new bit. Structures never change size: they grow into their reserved
 * fields, which a kernel without the feature leaves zero on output and
 * refuses unless zero on input. A client (libnvmering included) works with
 * any kernel whose abi_version it knows and whose features cover what it
 * uses; it must not refuse a kernel for bits it does not know.
 */
#define NVME_RING_IO_ABI_VERSION	1

/* The anonymous-ring device of the original design. */
#define NVME_RING_IO_MISC_NAME		"nvme_ring_io"
/* Named rings appear as /dev/nvme_ring/<name>. */
#define NVME_RING_IO_DEV_DIR		"nvme_ring"

/*
 * Feature bits reported in nvme_ring_info.features.
 *
 * NVME_RING_IO_F_MULTI_QUEUE: rings may have more than one queue; select
 *	one with NVME_RING_IO_SET_QUEUE.
 * NVME_RING_IO_F_CQE_STATUS: CQ entries carry the NVMe status and errno.
 * NVME_RING_IO_F_REMOTE_SUBMIT: SUBMIT from a CPU outside the queue's CPU
 *	set is handed to a worker on the queue's CPUs.
 * NVME_RING_IO_F_LBA_WINDOW: commands are confined to an LBA window.
 * NVME_RING_IO_F_URING_CMD: the NVME_RING_IO_URING_* io_uring commands.
 * NVME_RING_IO_F_SQ_POLL: a kernel thread may poll the SQ; it sets
 *	NVME_RING_FLAG_NEED_WAKEUP in sq.flags before it sleeps.
 * NVME_RING_IO_F_POLL: rings may poll for completions on the device's poll
 *	queues instead of taking interrupts (NVME_RING_INFO_F_POLLED).
 * NVME_RING_IO_F_REPAIR_INDICES: NVME_RING_IO_REPAIR_INDICES exists, and
 *	NVME_RING_IO_GET_INFO has no side effects.
 * NVME_RING_IO_F_URING_CMD_IOPOLL: NVME_RING_IO_URING_CMD works on an
 *	IORING_SETUP_IOPOLL io_uring; on a polled ring it goes to the poll
 *	queues.
 * NVME_RING_IO_F_METADATA: rings bind namespaces formatted with metadata
 *	(separate or extended, with or without protection information);
 *	slots' meta_off/meta_len and NVME_RING_URING_CMD_F_META carry
 *	separate metadata buffers; nvme_ring_info describes the format.
 * NVME_RING_IO_F_SUBMIT_WAIT: NVME_RING_SUBMIT_F_WAIT: SUBMIT also waits
 *	for completions, one system call per batch.
 * NVME_RING_IO_F_CMD_STATS: nvme_ring_stats counts reads, writes and other
 *	commands apart, with their total and maximum latency.
 */
#define NVME_RING_IO_F_MULTI_QUEUE	_BITULL(0)
#define NVME_RING_IO_F_CQE_STATUS	_BITULL(1)
#define NVME_RING_IO_F_REMOTE_SUBMIT	_BITULL(2)
#define NVME_RING_IO_F_LBA_WINDOW	_BITULL(3)
#define NVME_RING_IO_F_URING_CMD	_BITULL(4)
#define NVME_RING_IO_F_SQ_POLL		_BITULL(5)
#define NVME_RING_IO_F_POLL		_BITULL(6)
#define NVME_RING_IO_F_REPAIR_INDICES	_BITULL(7)
#define NVME_RING_IO_F_URING_CMD_IOPOLL	_BITULL(8)
#define NVME_RING_IO_F_METADATA		_BITULL(9)
#define NVME_RING_IO_F_SUBMIT_WAIT	_BITULL(10)
#define NVME_RING_IO_F_CMD_STATS	_BITULL(11)

/* Limits. */
#define NVME_RING_IO_MIN_ENTRIES	2
#define NVME_RING_IO_MAX_ENTRIES	32768
#define NVME_RING_IO_MAX_DATA_SIZE	_BITULL(30)	/* per queue */
#define NVME_RING_IO_MAX_QUEUES		256

/*
 * mmap() offset of queue q: q * NVME_RING_IO_MMAP_STRIDE. The length must
 * not exceed the queue's mmap_size. A queue's region (at most
 * NVME_RING_IO_MAX_DATA_SIZE of data plus its indices, SQ and CQ) fits in
 * one stride, and the last queue's region ends below 2^44 bytes, so every
 * queue's offset fits the 32-bit page offset of mmap2(): 32-bit clients
 * must map with a 64-bit off_t (-D_FILE_OFFSET_BITS=64, or mmap64()).
 */
#define NVME_RING_IO_MMAP_STRIDE	_BITULL(32)

/* Offsets of one ring (SQ or CQ) inside the queue's region. */
struct nvme_ring_offsets {
	__u64 producer;
	__u64 consumer;
	__u64 flags;
	__u64 desc;
};

/* Layout of one queue's mmap region; offsets are from the region's start. */
struct nvme_ring_layout {
	struct nvme_ring_offsets sq;
	struct nvme_ring_offsets cq;
	__u64 data_off;		/* start of the data area */
	__u64 data_size;	/* bytes in the data area */
	__u64 mmap_offset;	/* pass to mmap() as offset */
	__u64 mmap_size;	/* pass to mmap() as length */
};

/*
 * A command slot, NVME_RING_SLOT_SIZE bytes, at a NVME_RING_SLOT_SIZE
 * aligned offset in the data area. The SQ descriptor is that offset.
 *
 * Userspace fills cmd[] with an NVMe I/O submission queue entry (NVMe
 * layout, little endian) and data_off/data_len. The kernel takes only the
 * opcode, CDW2-3 and CDW10-15 from cmd[]: the command identifier and the
 * namespace id are the driver's, and the data and metadata pointers must be
 * zero (the kernel builds the data mapping from data_off/data_len, and
 * a separate metadata buffer's from meta_off/meta_len: dword aligned, in
 * one page or one huge 2 MiB chunk of the data area).
 *
 * On completion the kernel writes status, result and err.
 */
struct nvme_ring_slot {
	__u8	cmd[64];	/* NVMe submission queue entry */
	__u64	user_data;	/* returned untouched */
	__u64	data_off;	/* data buffer: offset into the data area */
	__u32	data_len;	/* data buffer: length in bytes */
	__u32	meta_len;	/* separate metadata: length, or 0 */
	__u64	meta_off;	/* separate metadata: offset into the data area */
	__u32	timeout_ms;	/* 0: the driver's; else within the ring's range */
	__u32	resv1;		/* must be 0 */
	/* written by the kernel at completion */
	__u64	result;		/* NVMe completion result (DW0, DW1) */
	__u16	status;		/* NVMe status field: SC, SCT, CRD, M, DNR */
	__u16	resv2;
	__s32	err;		/* 0, or -errno for a host-side failure */
	__u64	resv3;
};

#define NVME_RING_SLOT_SIZE		128

/*
 * A completion queue entry. Every descriptor taken from the SQ produces
 * exactly one, also when the descriptor was rejected.
 */
struct nvme_ring_cqe {
	__u64	slot;		/* the SQ descriptor (slot offset) */
	__u16	status;		/* NVMe status field, 0 on success */
	__u16	flags;		/* NVME_RING_CQE_F_* */
	__s32	err;		/* 0, or -errno */
};

/*
 * NVME_RING_CQE_F_REJECTED: the kernel refused the command before sending
 *	it to the device (bad descriptor, slot, opcode, LBA range, length);
 *	err says why. When the slot offset itself is invalid the slot is not
 *	written, and NVME_RING_CQE_F_BAD_SLOT is also set.
 */
#define NVME_RING_CQE_F_REJECTED	_BITUL(0)
#define NVME_RING_CQE_F_BAD_SLOT	_BITUL(1)

/*
 * Ring flags words. sq.flags: NVME_RING_FLAG_NEED_WAKEUP is set by the SQ
 * poller before it sleeps; a client that sees it after publishing entries
 * (with a full barrier between its producer store and this load) calls
 * NVME_RING_IO_SUBMIT, which wakes the poller. cq.flags: reserved, 0.
 */
#define NVME_RING_FLAG_NEED_WAKEUP	_BITUL(0)

/*
 * NVME_RING_IO_SETUP, on /dev/nvme_ring_io: create an anonymous one-queue
 * ring bound to the namespace behind nvme_fd (/dev/nvmeXnY or /dev/ngXnY).
 * Writes through the ring need nvme_fd to be open for writing.
 *
 * uring_fd is the caller's io_uring (-1 for none); the kernel does not use
 * it: libnvmering registers the mapped data area with it as fixed buffers.
 * The queue runs on the caller's allowed CPUs; its memory goes to numa_node
 * when NVME_RING_SETUP_F_NUMA_NODE is set, else to the caller's node.
 */
struct nvme_ring_setup {
	__u32	sq_entries;	/* power of two */
	__u32	cq_entries;	/* power of two */
	__u64	data_size;	/* bytes, rounded up to 2 MiB */
	__s32	nvme_fd;
	__s32	uring_fd;
	__u32	flags;		/* NVME_RING_SETUP_F_* */
	__s32	numa_node;
	__u64	resv[4];	/* must be 0 */
};

#define NVME_RING_SETUP_F_NUMA_NODE	_BITUL(0)
#define NVME_RING_SETUP_F_HUGEPAGES	_BITUL(1)	/* fail without 2 MiB pages */

/*
 * NVME_RING_IO_SUBMIT: consume up to max_submit descriptors (0: all that
 * are pending) from the current queue's SQ and send them to the device.
 * Returns the number consumed, also in `submitted`. On a queue with an SQ
 * poller it only wakes the poller and returns 0. Like every call that
 * changes a ring (REPAIR_INDICES, URING_KICK, URING_CMD, SETUP), it needs
 * the file open for writing: -EBADF otherwise.
 *
 * With NVME_RING_SUBMIT_F_WAIT it then waits, as NVME_RING_IO_COMPLETE
 * with no time limit, until at least min_complete completions are in the
 * CQ (min_complete at most the CQ's size), the ring stops, or a signal
 * comes; on a polled ring it polls. It still returns the number consumed:
 * a signal after a submission ends the wait early, not the call. Without
 * the flag min_complete must be 0.
 */
struct nvme_ring_submit {
	__u32	max_submit;
	__u32	submitted;	/* out */
	__u32	flags;		/* NVME_RING_SUBMIT_F_* */
	union {
		__u32	min_complete;	/* with NVME_RING_SUBMIT_F_WAIT */
		__u32	resv;		/* its name before; 0 without the flag */
	};
};

#define NVME_RING_SUBMIT_F_WAIT		_BITUL(0)

/*
 * NVME_RING_IO_COMPLETE: wait until at least min_complete completions are
 * in the current queue's CQ, or timeout_ms passes (0: do not wait).
 * Returns with `available` set to the CQ entries ready to be read; the
 * caller reads them and advances cq.consumer.
 */
struct nvme_ring_complete {
	__u32	min_complete;
	__u32	timeout_ms;
	__u32	available;	/* out */
	__u32	flags;		/* NVME_RING_COMPLETE_F_* */
	__u64	resv[2];	/* must be 0 */
};

/*
 * NVME_RING_COMPLETE_F_HYBRID: on a polled ring (NVME_RING_INFO_F_POLLED),
 *	sleep between polls for a time that adapts to how fast completions
 *	come (hybrid polling), leaving the CPU free meanwhile; by default
 *	COMPLETE polls without sleeping, for the lowest latency. No effect on
 *	other rings.
 */
#define NVME_RING_COMPLETE_F_HYBRID	_BITUL(0)

/*
 * Per-queue counters, since the ring was enabled (or set up). The module
 * keeps its counters in this very struct, so a new counter is a field
 * here, in place of resv, the one reserved word left (and a line in the
 * module's nri_stat_info[]).
 */
struct nvme_ring_stats {
	__u64	submitted;
	__u64	completed;
	__u64	errors;
	__u64	invalid_descs;
	__u64	bytes_read;
	__u64	bytes_written;
	__u64	inflight;
	__u64	sq_empty_kicks;
	__u64	cq_full_events;
	__u64	remote_submits;
	/*
	 * NVME_RING_IO_F_CMD_STATS: commands the device completed (with
	 * success or not), by kind: the Read and Write opcodes, and every
	 * other; and their latency from submission to completion, in
	 * nanoseconds: the sum (so mean = lat_total_ns / (reads + writes +
	 * others)) and the maximum.
	 */
	__u64	reads;
	__u64	writes;
	__u64	others;
	__u64	lat_total_ns;
	__u64	lat_max_ns;
	__u64	resv;
};

/*
 * NVME_RING_IO_GET_INFO: the ring and the file's current queue. It only
 * reads: see NVME_RING_IO_REPAIR_INDICES.
 */
struct nvme_ring_info {
	__u32	abi_version;	/* NVME_RING_IO_ABI_VERSION */
	__u32	nr_queues;
	__u64	features;	/* NVME_RING_IO_F_* */
	__u32	queue;		/* the file's current queue */
	__u32	nsid;
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	lba_shift;	/* log2 of the LBA size */
	__u32	max_transfer;	/* bytes per command */
	__u64	lba_start;	/* first LBA commands may touch */
	__u64	lba_count;	/* LBAs commands may touch */
	__s32	numa_node;
	__u32	state;		/* NVME_RING_STATE_* */
	__u8	opcodes[32];	/* bitmap of allowed NVMe I/O opcodes */
	__u32	sq_poll_idle_ms; /* 0: no SQ poller */
	__u32	flags;		/* NVME_RING_INFO_F_* */
	struct nvme_ring_layout layout;	/* of the current queue */
	struct nvme_ring_stats stats;	/* of the current queue */
	__u16	meta_size;	/* metadata bytes per block; 0: none */
	__u8	pi_type;	/* 0: no protection information; 1-3 */
	__u8	pi_size;	/* bytes of the PI tuple in the metadata */
	__u32	meta_flags;	/* NVME_RING_META_F_* */
	__u64	resv[6];
};

/*
 * Metadata of the ring's namespace (NVME_RING_IO_F_METADATA), when
 * meta_size is not 0:
 * NVME_RING_META_F_EXTENDED: extended LBAs, each block's metadata follows
 *	its data in the data buffer (MSET=1); otherwise a command carries its
 *	metadata in a separate buffer, meta_off/meta_len.
 * NVME_RING_META_F_PI_FIRST: the PI tuple is the first pi_size bytes of a
 *	block's metadata; otherwise the last.
 * NVME_RING_META_F_PI_CHECK: the ring requires PI checking (pi_check):
 *	reads, compares, verifies and writes without PRACT must set PRCHK's
 *	guard bit, and its reference tag bit but on type 3.
 */
#define NVME_RING_META_F_EXTENDED	_BITUL(0)
#define NVME_RING_META_F_PI_FIRST	_BITUL(1)
#define NVME_RING_META_F_PI_CHECK	_BITUL(2)

/*
 * NVME_RING_INFO_F_POLLED: completions are polled (poll queues, no
 * interrupts). They are reaped by SUBMIT, COMPLETE (which spins until its
 * condition or timeout) and the SQ poller; poll() and URING_WAIT_CQ do not
 * poll, so without an SQ poller wait with COMPLETE.
 */
#define NVME_RING_INFO_F_POLLED		_BITUL(0)

#define NVME_RING_STATE_LIVE		0
#define NVME_RING_STATE_DEAD		1	/* the device went away */

/*
 * NVME_RING_IO_GET_QUEUE_INFO: one queue of the ring, selected by `queue`.
 *
 * NVME_RING_IO_REPAIR_INDICES (no argument): write the indices the kernel
 * owns in the current queue's shared page (sq.consumer, cq.producer) and
 * the flags words back from the kernel's own copies, so that a client (or
 * the next one) that scribbled on them can start over. The kernel never
 * follows those words; only clients read them.
 */
struct nvme_ring_queue_info {
	__u32	queue;		/* in */
	__s32	numa_node;	/* where the queue's memory is */
	__u32	hctx;		/* first blk-mq hardware context serving it */
	__u32	nvme_qid;	/* NVMe I/O queue id of that context */
	__u32	nr_cpus;
	__u32	huge_pages;	/* 2 MiB chunks backing the region */
	__u64	cpus[4];	/* bitmap of the queue's CPUs (first 256) */
	struct nvme_ring_layout layout;
	struct nvme_ring_stats stats;
	__u64	resv[8];
};

/*
 * io_uring: IORING_OP_URING_CMD on a ring's file, with cmd_op one of the
 * NVME_RING_IO_URING_* values and the struct in the SQE's command area. They
 * act on the file's current queue.
 *
 * NVME_RING_IO_URING_KICK (64-byte SQE is enough): consume the SQ's pending
 *	descriptors as NVME_RING_IO_SUBMIT does; cqe->res is the count, or
 *	-errno.
 * NVME_RING_IO_URING_WAIT_CQ (64-byte SQE): complete once the CQ holds at
 *	least min_complete entries (0 means 1); cqe->res is the count ready
 *	then. Cancelled with -ECANCELED when the io_uring goes away, -ENODEV
 *	when the ring does. At most 16 wait per queue (-EBUSY beyond).
 * NVME_RING_IO_URING_CMD (needs IORING_SETUP_SQE128 and CQE32): one NVMe
 *	command in the SQE itself, its data buffer an offset into the queue's
 *	data area; the ring's SQ and CQ are not used. cqe->res is 0, the NVMe
 *	status (> 0) or -errno; big_cqe[0] is the NVMe result. On an
 *	IORING_SETUP_IOPOLL io_uring, io_uring polls for the completion. A
 *	polled ring (NVME_RING_INFO_F_POLLED) sends the command to its poll
 *	queues, so it takes it only from such an io_uring (-EOPNOTSUPP
 *	otherwise): nothing else would reap it. WAIT_CQ is refused on an
 *	IOPOLL io_uring (-EOPNOTSUPP).
 */
struct nvme_ring_uring_kick {
	__u32	max_submit;	/* 0: all pending */
	__u32	flags;		/* must be 0 */
	__u64	resv;		/* must be 0 */
};

struct nvme_ring_uring_wait {
	__u32	min_complete;
	__u32	flags;		/* must be 0 */
	__u64	resv;		/* must be 0 */
};

struct nvme_ring_uring_cmd {
	__u8	cmd[64];	/* NVMe submission queue entry, as in a slot */
	__u64	data_off;	/* offset into the data area */
	__u32	data_len;
	__u32	flags;		/* NVME_RING_URING_CMD_F_* */
};

/*
 * NVME_RING_URING_CMD_F_META: the command has a separate metadata buffer
 * in the data area, at the offset given in cmd's metadata field (bytes
 * 16-23: an offset into the data area, not a pointer; the kernel maps it
 * itself), as long as the command's blocks take (NLB x metadata size,
 * nothing when PRACT inserts or strips PI that is all the metadata).
 */
#define NVME_RING_URING_CMD_F_META	_BITUL(0)

/* Not in Documentation/userspace-api/ioctl/ioctl-number.rst (6.12). */
#define NVME_RING_IO_MAGIC	0xB9

#define NVME_RING_IO_SETUP	_IOW(NVME_RING_IO_MAGIC, 0x00, struct nvme_ring_setup)
#define NVME_RING_IO_SUBMIT	_IOWR(NVME_RING_IO_MAGIC, 0x01, struct nvme_ring_submit)
#define NVME_RING_IO_COMPLETE	_IOWR(NVME_RING_IO_MAGIC, 0x02, struct nvme_ring_complete)
#define NVME_RING_IO_GET_INFO	_IOR(NVME_RING_IO_MAGIC, 0x03, struct nvme_ring_info)
#define NVME_RING_IO_SET_QUEUE	_IOW(NVME_RING_IO_MAGIC, 0x04, __u32)
#define NVME_RING_IO_GET_QUEUE_INFO \
	_IOWR(NVME_RING_IO_MAGIC, 0x05, struct nvme_ring_queue_info)
#define NVME_RING_IO_REPAIR_INDICES	_IO(NVME_RING_IO_MAGIC, 0x06)

#define NVME_RING_IO_URING_KICK \
	_IOW(NVME_RING_IO_MAGIC, 0x10, struct nvme_ring_uring_kick)
#define NVME_RING_IO_URING_WAIT_CQ \
	_IOW(NVME_RING_IO_MAGIC, 0x11, struct nvme_ring_uring_wait)
#define NVME_RING_IO_URING_CMD \
	_IOWR(NVME_RING_IO_MAGIC, 0x12, struct nvme_ring_uring_cmd)

#endif /* _UAPI_LINUX_NVME_RING_IO_H */
