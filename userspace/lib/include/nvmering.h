/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libnvmering: userspace side of nvme_ring_io rings.
 *
 * Every function returns 0 (or a count) on success and -errno on failure.
 * Names with two underscores (nvmering__*) are internal.
 *
 * Typical use:
 *
 *	struct nvmering r;
 *	struct nvme_ring_cqe *cqe;
 *
 *	nvmering_open(&r, "myring", -1);	// /dev/nvme_ring/myring, the
 *						// queue of the calling CPU
 *	nvmering_pin(&r);			// run on the queue's CPUs
 *	uint64_t slot = nvmering_slot_off(&r, 0);	// slot 0
 *	uint64_t buf = nvmering_buf_off(&r, 1, 0, 4096);	// after 1 slot
 *	nvmering_prep_read(&r, slot, buf, lba, 1);
 *	nvmering_sq_push(&r, slot);
 *	nvmering_sq_commit(&r);			// publish, SUBMIT if needed
 *	nvmering_wait(&r, 1, 1000);
 *	nvmering_peek_cqe(&r, &cqe);		// cqe->status, cqe->err
 *	nvmering_cq_advance(&r, 1);		// cqe is not to be read now
 *	nvmering_close(&r);
 *
 * Thread safety. The library keeps no global state: calls on different
 * struct nvmering (different rings, or different queues of one ring, each
 * opened on its own) may run in parallel, and so may nvmering_open(),
 * nvmering_setup(), nvmering_attach() and nvmering_close() on different
 * structs. nvmering_status_str(), nvmering_check_info(), the version calls
 * and the offset helpers are safe from any thread.
 *
 * One struct nvmering is one queue, single producer and single consumer:
 *  - the SQ side (nvmering_prep_*(), nvmering_sq_*(), nvmering_submit())
 *    from one thread at a time;
 *  - the CQ side (nvmering_cq_ready(), nvmering_peek_cqe(s)(),
 *    nvmering_for_each_cqe(), nvmering_cq_advance(), nvmering_wait(),
 *    nvmering_wait_cqe()) from one thread at a time;
 *  - the two sides may be two threads; nvmering_kick() may be called from
 *    either. More threads on one side need a lock of the caller's around
 *    it.
 * nvmering_refresh() rewrites r->info and r->qinfo, which the hot path
 * reads, and nvmering_close() unmaps the queue: neither may run while
 * another thread uses the same struct. nvmering_pin() acts on the calling
 * thread only. Slots and data buffers are the caller's to share out: a slot
 * is the kernel's from its push until its completion is seen.
 *
 * A queue has one user at a time: opening a queue that another struct
 * nvmering (in this process or another) has mapped takes it over (see
 * nvmering_open()).
 */
#ifndef _NVMERING_H
#define _NVMERING_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/nvme_ring_io.h>

#ifdef __cplusplus
extern "C" {
#define NVMERING__STATIC_ASSERT(cond, msg)	static_assert(cond, msg)
#else
#define NVMERING__STATIC_ASSERT(cond, msg)	_Static_assert(cond, msg)
#endif

/*
 * The version of this header. The library's own, which may be newer when it
 * is a shared library, comes from nvmering_version_major() and the like.
 * A minor version adds to the API, a major one would change it.
 */
#define NVMERING_VERSION_MAJOR	1
#define NVMERING_VERSION_MINOR	3
#define NVMERING_VERSION_PATCH	0

/*
 * True when this header is version major.minor.patch or later, for tests
 * in the preprocessor:
 *
 *	#if NVMERING_CHECK_VERSION(1, 1, 0)
 *		... use nvmering_peek_cqe() ...
 *	#endif
 *
 * Note the sense: liburing's IO_URING_CHECK_VERSION() is the opposite,
 * true when liburing is not newer than the version given.
 */
#define NVMERING_CHECK_VERSION(major, minor, patch)			\
	(NVMERING_VERSION_MAJOR > (major) ||				\
	 (NVMERING_VERSION_MAJOR == (major) &&				\
	  (NVMERING_VERSION_MINOR > (minor) ||				\
	   (NVMERING_VERSION_MINOR == (minor) &&			\
	    NVMERING_VERSION_PATCH >= (patch)))))

/* The version of the library in use (the shared library loaded, if so). */
int nvmering_version_major(void);
int nvmering_version_minor(void);
int nvmering_version_patch(void);

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
 * Mapping takes the queue over as its last user left it: once nothing of
 * it is in flight (waiting about a second, else -EBUSY), entries queued but
 * never submitted are dropped and completions nobody read are consumed.
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

/*
 * Map an already open and set up ring fd (queue < 0: the current one).
 * Fails with -EPROTO or -EOPNOTSUPP as nvmering_check_info() says.
 */
int nvmering_attach(struct nvmering *r, int fd, int queue);

/*
 * Compatibility goes by features, not by version, as in AF_XDP and ublk:
 * the library works with any kernel whose abi_version is
 * NVME_RING_IO_ABI_VERSION (it stays 1) and whose features include
 * NVMERING_FEATURES_REQUIRED, and NVME_RING_IO_F_MULTI_QUEUE when a queue
 * above 0 is asked for (a kernel without it has only queue 0). It never
 * refuses a kernel for bits it does not know. Other features it uses where
 * they exist: NVME_RING_IO_F_REPAIR_INDICES when it takes a queue over,
 * NVME_RING_IO_F_SUBMIT_WAIT in nvmering_submit_and_wait();
 * the SQ poller and polled completions are read from info.sq_poll_idle_ms
 * and info.flags, which a kernel without them leaves zero. Callers check
 * the features of what they use themselves (nvmering_has_features()), e.g.
 * NVME_RING_IO_F_URING_CMD for the helpers in nvmering-uring.h.
 */
#define NVMERING_FEATURES_REQUIRED	NVME_RING_IO_F_CQE_STATUS

/*
 * Whether the library can use a ring whose NVME_RING_IO_GET_INFO says
 * info, for queue as given to nvmering_attach(): 0; -EPROTO when
 * abi_version is not one it knows (an interface redefined); -EOPNOTSUPP
 * when features lack a bit it needs.
 */
int nvmering_check_info(const struct nvme_ring_info *info, int queue);

/* True when the ring's kernel offers all of features (NVME_RING_IO_F_*). */
static inline bool nvmering_has_features(const struct nvmering *r,
					 uint64_t features)
{
	return (r->info.features & features) == features;
}

void nvmering_close(struct nvmering *r);

/*
 * Refresh r->info and r->qinfo (counters, state). On a kernel without
 * NVME_RING_IO_F_MULTI_QUEUE, r->qinfo holds what GET_INFO says of the one
 * queue, and its CPU set is empty.
 */
int nvmering_refresh(struct nvmering *r);

/*
 * Pin the calling thread to the queue's CPUs (when the kernel says which)
 * and memory to the ring's node.
 */
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

/*
 * An NVMe I/O submission queue entry, the 64 bytes of a slot's cmd[]. The
 * fields hold little-endian values, as the device reads them: the helpers
 * below convert, and code that sets a field itself uses htole32() and
 * htole64() from <endian.h> (no-ops on little-endian hosts).
 *
 * The kernel takes the opcode, CDW2-3 and CDW10-15. The command identifier
 * and the namespace id are the driver's, and flags, metadata and the data
 * pointer (prp1, prp2) must be zero: the kernel maps the data buffer from
 * the slot's data_off/data_len.
 */
struct nvmering_sqe {
	uint8_t		opcode;
	uint8_t		flags;		/* FUSE, PSDT: 0 */
	uint16_t	command_id;	/* the driver's */
	uint32_t	nsid;		/* the driver's */
	uint32_t	cdw2;
	uint32_t	cdw3;
	uint64_t	metadata;	/* 0 */
	uint64_t	prp1;		/* data pointer (DPTR): 0 */
	uint64_t	prp2;
	uint32_t	cdw10;
	uint32_t	cdw11;
	uint32_t	cdw12;
	uint32_t	cdw13;
	uint32_t	cdw14;
	uint32_t	cdw15;
};

NVMERING__STATIC_ASSERT(sizeof(struct nvmering_sqe) == 64,
			"an NVMe SQE is 64 bytes");
NVMERING__STATIC_ASSERT(offsetof(struct nvmering_sqe, cdw10) == 40,
			"CDW10 is at byte 40");
NVMERING__STATIC_ASSERT(sizeof(struct nvmering_sqe) ==
			sizeof(((struct nvme_ring_slot *)0)->cmd),
			"the SQE fills a slot's cmd[]");

/* NVM command set opcodes the helpers use. */
#define NVMERING_OP_FLUSH		0x00
#define NVMERING_OP_WRITE		0x01
#define NVMERING_OP_READ		0x02
#define NVMERING_OP_COMPARE		0x05
#define NVMERING_OP_WRITE_ZEROES	0x08

/* CPU to little-endian order, without <endian.h>'s _DEFAULT_SOURCE. */
static inline uint32_t nvmering__cpu_to_le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/* A command with only its opcode set. */
static inline void nvmering_sqe_init(struct nvmering_sqe *sqe, uint8_t opcode)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
}

/*
 * A command on nlb (1 to 65536) blocks from slba: read, write, compare,
 * write zeroes. CDW10-11 are the starting LBA, CDW12 the 0's based count.
 */
static inline void nvmering_sqe_rw(struct nvmering_sqe *sqe, uint8_t opcode,
				   uint64_t slba, uint32_t nlb)
{
	nvmering_sqe_init(sqe, opcode);
	sqe->cdw10 = nvmering__cpu_to_le32((uint32_t)slba);
	sqe->cdw11 = nvmering__cpu_to_le32((uint32_t)(slba >> 32));
	sqe->cdw12 = nvmering__cpu_to_le32((nlb - 1) & 0xffff);
}

/* The command in a slot, to fill in place. */
static inline struct nvmering_sqe *nvmering_slot_sqe(struct nvme_ring_slot *s)
{
	return (struct nvmering_sqe *)s->cmd;
}

/*
 * Publish the SQ (nvmering_sq_publish()) and ask the kernel to consume up
 * to max entries (0: all) with NVME_RING_IO_SUBMIT. Returns the count; on a
 * queue with an SQ poller it only wakes the poller and returns 0.
 */
int nvmering_submit(struct nvmering *r, uint32_t max);

/*
 * Publish the SQ, submit all pending entries and wait until at least
 * min_complete completions are ready, in one system call (SUBMIT with
 * NVME_RING_SUBMIT_F_WAIT), as io_uring_submit_and_wait() does. On a queue
 * with an SQ poller that is awake and min_complete already ready it makes
 * no call at all. No time limit: a signal ends the wait early. Returns the
 * count submitted (0 on a queue with an SQ poller) or -errno; the caller
 * then reads the CQ. On a kernel without NVME_RING_IO_F_SUBMIT_WAIT it
 * makes two calls, SUBMIT then COMPLETE. Since 1.3.
 */
int nvmering_submit_and_wait(struct nvmering *r, uint32_t min_complete);

/*
 * NVME_RING_IO_SUBMIT without publishing: the kernel consumes what is
 * already published, and a sleeping SQ poller wakes up. It does not touch
 * the SQ's local tail, so the completion side may call it.
 */
int nvmering_kick(struct nvmering *r, uint32_t max);

/* Wait until at least min are ready or timeout_ms passes (-ETIME). */
int nvmering_wait(struct nvmering *r, uint32_t min, uint32_t timeout_ms);
/* Wait for one, copy it out and mark it seen. */
int nvmering_wait_cqe(struct nvmering *r, struct nvme_ring_cqe *cqe,
		      uint32_t timeout_ms);

/* NVMe status (as in the CQE and slot) as text, e.g. "LBA Out of Range". */
const char *nvmering_status_str(uint16_t status);

/*
 * The hot path, inline: filling slots, the SQ and the CQ cost no call into
 * the library, and enter the kernel only where the protocol needs it.
 *
 * Ordering (letters as in the kernel's src/dataplane.c and src/poller.c):
 *   (A) release store of sq.producer after the descriptors and slots
 *   (B) acquire load of sq.consumer before reusing SQ entries
 *   (C) acquire load of cq.producer before reading CQ entries and slots
 *   (D) release store of cq.consumer after reading them
 *   (E) a full fence between the client's store (sq.producer, cq.consumer)
 *       and its load of sq.flags, against the SQ poller's store of
 *       NEED_WAKEUP and its load of the indices: one of them sees the other
 *
 * The GCC/Clang __atomic builtins take plain uint32_t in C and C++ alike.
 */
static inline uint32_t nvmering__load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void nvmering__store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Clear a slot for a new command, keeping its user_data. */
static inline struct nvme_ring_slot *
nvmering__prep_slot(struct nvmering *r, uint64_t slot, uint64_t buf_off,
		    uint32_t buf_len)
{
	struct nvme_ring_slot *s = nvmering_slot(r, slot);
	uint64_t user_data = s->user_data;

	memset(s, 0, sizeof(*s));
	s->user_data = user_data;
	s->data_off = buf_len ? buf_off : 0;
	s->data_len = buf_len;
	return s;
}

/* Any NVMe I/O command: 64-byte SQE, data buffer as offset and length. */
static inline void nvmering_prep_raw(struct nvmering *r, uint64_t slot,
				     const void *sqe64, uint64_t buf_off,
				     uint32_t buf_len)
{
	struct nvme_ring_slot *s = nvmering__prep_slot(r, slot, buf_off, buf_len);

	memcpy(s->cmd, sqe64, sizeof(s->cmd));
}

/* Fill a slot. LBAs in the namespace's block size; nlb >= 1. */
static inline void nvmering_prep_rw(struct nvmering *r, uint64_t slot,
				    uint8_t opcode, uint64_t buf_off,
				    uint64_t slba, uint32_t nlb)
{
	struct nvme_ring_slot *s;

	s = nvmering__prep_slot(r, slot, buf_off, nlb << r->info.lba_shift);
	nvmering_sqe_rw(nvmering_slot_sqe(s), opcode, slba, nlb);
}

/*
 * Metadata (the kernel sets NVME_RING_IO_F_METADATA). nvmering_meta_size():
 * metadata bytes per block, 0 for none. With extended LBAs each block's
 * metadata follows its data in the data buffer, so a block takes
 * nvmering_block_bytes() there; otherwise a command's metadata goes in a
 * buffer of its own in the data area (the slot's meta_off and meta_len),
 * dword aligned, within one 4 KiB page or one 2 MiB chunk that is a huge
 * page (every chunk with the ring's hugepages attribute set).
 */
static inline uint32_t nvmering_meta_size(const struct nvmering *r)
{
	return r->info.meta_size;
}

static inline bool nvmering_meta_extended(const struct nvmering *r)
{
	return r->info.meta_flags & NVME_RING_META_F_EXTENDED;
}

static inline uint32_t nvmering_block_bytes(const struct nvmering *r)
{
	return (1U << r->info.lba_shift) +
	       (nvmering_meta_extended(r) ? r->info.meta_size : 0);
}

/*
 * Protection information, PRINFO of a command (CDW12 bits 29:26): PRACT
 * has the controller insert (writes) or strip (reads) the PI, the PRCHK
 * bits have it check the guard, application and reference tags.
 */
#define NVMERING_PRINFO_PRACT		0x8
#define NVMERING_PRINFO_PRCHK_GUARD	0x4
#define NVMERING_PRINFO_PRCHK_APP	0x2
#define NVMERING_PRINFO_PRCHK_REF	0x1

/* PRINFO, the initial reference tag and the application tag and mask. */
static inline void nvmering_sqe_set_pi(struct nvmering_sqe *sqe,
				       unsigned int prinfo, uint32_t reftag,
				       uint16_t apptag, uint16_t appmask)
{
	uint32_t cdw12 = nvmering__cpu_to_le32(sqe->cdw12);

	cdw12 = (cdw12 & ~(0xfU << 26)) | ((prinfo & 0xfU) << 26);
	sqe->cdw12 = nvmering__cpu_to_le32(cdw12);
	sqe->cdw14 = nvmering__cpu_to_le32(reftag);
	sqe->cdw15 = nvmering__cpu_to_le32(apptag | (uint32_t)appmask << 16);
}

/*
 * Metadata bytes per block a command moves: none when PRACT inserts or
 * strips PI that is all of the metadata.
 */
static inline uint32_t nvmering_meta_moved(const struct nvmering *r,
					   unsigned int prinfo)
{
	if (r->info.pi_type && r->info.meta_size == r->info.pi_size &&
	    (prinfo & NVMERING_PRINFO_PRACT))
		return 0;
	return r->info.meta_size;
}

/*
 * Read, write or compare nlb blocks with their metadata and PRINFO
 * (0 without PI): the data buffer at buf_off holds nlb blocks of
 * nvmering_block_bytes() (of the LBA size when PRACT strips the PI of an
 * extended LBA), a separate metadata buffer at meta_off nlb times
 * nvmering_meta_moved() (ignored when extended or without metadata). The
 * initial reference tag is the LBA's low 32 bits, as types 1 and 2 want.
 */
static inline void nvmering_prep_rw_meta(struct nvmering *r, uint64_t slot,
					 uint8_t opcode, uint64_t buf_off,
					 uint64_t meta_off, uint64_t slba,
					 uint32_t nlb, unsigned int prinfo)
{
	uint32_t moved = nvmering_meta_moved(r, prinfo), block;
	struct nvme_ring_slot *s;

	block = (1U << r->info.lba_shift) +
		(nvmering_meta_extended(r) ? moved : 0);
	s = nvmering__prep_slot(r, slot, buf_off, nlb * block);
	nvmering_sqe_rw(nvmering_slot_sqe(s), opcode, slba, nlb);
	if (r->info.pi_type)
		nvmering_sqe_set_pi(nvmering_slot_sqe(s), prinfo,
				    (uint32_t)slba, 0, 0);
	if (moved && !nvmering_meta_extended(r)) {
		s->meta_off = meta_off;
		s->meta_len = nlb * moved;
	}
}

/*
 * The T10 DIF CRC-16 (polynomial 0x8bb7) the PI guard uses, continued
 * from crc (start with 0).
 */
uint16_t nvmering_crc_t10dif(uint16_t crc, const void *buf, size_t len);

/*
 * Write the PI tuples of nlb blocks from slba, as a device checking them
 * expects: the guard over each block's data (and the metadata bytes before
 * the tuple, when it is last), apptag, and the reference tag (the LBA's
 * low 32 bits, counting up; type 3 leaves it 0xffffffff). data holds the
 * blocks (with their metadata, when extended); meta the separate metadata,
 * NULL when extended. Returns 0, or -EINVAL without PI.
 */
int nvmering_pi_generate(const struct nvmering *r, void *data, void *meta,
			 uint64_t slba, uint32_t nlb, uint16_t apptag);

/*
 * Check them: 0 when every tuple is as nvmering_pi_generate() writes it
 * (on type 3 the guard and application tag only: its reference tag has no
 * defined meaning, and a controller inserting PI writes CDW14 there), else
 * 1 + the index of the first block that is not.
 */
int nvmering_pi_verify(const struct nvmering *r, const void *data,
		       const void *meta, uint64_t slba, uint32_t nlb,
		       uint16_t apptag);

static inline void nvmering_prep_read(struct nvmering *r, uint64_t slot,
				      uint64_t buf_off, uint64_t slba,
				      uint32_t nlb)
{
	nvmering_prep_rw(r, slot, NVMERING_OP_READ, buf_off, slba, nlb);
}

static inline void nvmering_prep_write(struct nvmering *r, uint64_t slot,
				       uint64_t buf_off, uint64_t slba,
				       uint32_t nlb)
{
	nvmering_prep_rw(r, slot, NVMERING_OP_WRITE, buf_off, slba, nlb);
}

static inline void nvmering_prep_flush(struct nvmering *r, uint64_t slot)
{
	struct nvme_ring_slot *s = nvmering__prep_slot(r, slot, 0, 0);

	nvmering_sqe_init(nvmering_slot_sqe(s), NVMERING_OP_FLUSH);
}

static inline void nvmering_prep_write_zeroes(struct nvmering *r,
					      uint64_t slot, uint64_t slba,
					      uint32_t nlb)
{
	struct nvme_ring_slot *s = nvmering__prep_slot(r, slot, 0, 0);

	nvmering_sqe_rw(nvmering_slot_sqe(s), NVMERING_OP_WRITE_ZEROES, slba,
			nlb);
}

/*
 * SQ room and queuing: entries become visible at nvmering_sq_publish().
 *
 * The shared page is writable by the client, so its indices can be wrong
 * (a stray write, a fuzzer). As the kernel does, the library reads indices
 * that cannot be right, more than the ring's size apart, as a full SQ and
 * an empty CQ, rather than as room or completions by the billion; a fresh
 * nvmering_open() of the queue puts them right.
 */
static inline uint32_t nvmering_sq_space(const struct nvmering *r)
{
	uint32_t cons = nvmering__load_acquire(r->sq_cons);	/* (B) */
	uint32_t used = r->sq_tail - cons;

	return used > r->sq_mask + 1 ? 0 : r->sq_mask + 1 - used;
}

/* Queue a slot's descriptor; -EAGAIN when the SQ is full. */
static inline int nvmering_sq_push(struct nvmering *r, uint64_t slot)
{
	if (!nvmering_sq_space(r))
		return -EAGAIN;
	r->sq_desc[r->sq_tail & r->sq_mask] = slot;
	r->sq_tail++;
	return 0;
}

static inline void nvmering_sq_publish(struct nvmering *r)
{
	nvmering__store_release(r->sq_prod, r->sq_tail);	/* (A) */
}

/* True when the queue has an SQ poller. */
static inline bool nvmering_sq_polled(const struct nvmering *r)
{
	return r->info.sq_poll_idle_ms != 0;
}

/* True when the SQ poller has gone to sleep and needs a kick. */
static inline bool nvmering_sq_need_wakeup(const struct nvmering *r)
{
	return __atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) &
	       NVME_RING_FLAG_NEED_WAKEUP;
}

/*
 * Publish, and enter the kernel only when needed: on a queue with an SQ
 * poller (info.sq_poll_idle_ms != 0), only when the poller sleeps; without
 * one, always (as nvmering_submit). Returns 0 or the submit count.
 */
static inline int nvmering_sq_commit(struct nvmering *r)
{
	if (!nvmering_sq_polled(r))
		return nvmering_submit(r, 0);
	nvmering_sq_publish(r);
	/* (E): the producer store before the flag load, against the poller */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (nvmering_sq_need_wakeup(r))
		return nvmering_kick(r, 0);
	return 0;
}

/* Completions ready to be read (0 for impossible indices, see above). */
static inline uint32_t nvmering_cq_ready(const struct nvmering *r)
{
	uint32_t ready = nvmering__load_acquire(r->cq_prod) - r->cq_head; /* (C) */

	return ready > r->cq_mask + 1 ? 0 : ready;
}

/* Copy up to n ready completions to out[] without consuming them. */
static inline uint32_t nvmering_peek_cqes(struct nvmering *r,
					  struct nvme_ring_cqe *out, uint32_t n)
{
	uint32_t ready = nvmering_cq_ready(r), i;

	if (n > ready)
		n = ready;
	for (i = 0; i < n; i++)
		out[i] = r->cqes[(r->cq_head + i) & r->cq_mask];
	return n;
}

/*
 * Completions by pointer, without a copy, as liburing hands them out. The
 * pointers are into the queue's CQ: an entry stays valid, and the kernel
 * leaves it alone, until nvmering_cq_advance() passes it; after that it
 * must not be read. Reading an entry's slot (nvmering_slot(r, cqe->slot))
 * follows the same rule, and the slot stays the client's until it is
 * submitted again.
 *
 * nvmering_peek_cqe(): the oldest unseen completion, or -EAGAIN (and NULL)
 * when there is none. It does not consume it.
 */
static inline int nvmering_peek_cqe(struct nvmering *r,
				    struct nvme_ring_cqe **cqe)
{
	if (!nvmering_cq_ready(r)) {
		*cqe = NULL;
		return -EAGAIN;
	}
	*cqe = &r->cqes[r->cq_head & r->cq_mask];
	return 0;
}

/*
 * Visit every ready completion, oldest first, without consuming any; head
 * is a uint32_t the loop runs on, cqe a struct nvme_ring_cqe *. Advance by
 * the number handled afterwards:
 *
 *	struct nvme_ring_cqe *cqe;
 *	uint32_t head, n = 0;
 *
 *	nvmering_for_each_cqe(r, head, cqe) {
 *		handle(cqe);
 *		n++;
 *	}
 *	nvmering_cq_advance(r, n);
 */
#define nvmering_for_each_cqe(r, head, cqe)				\
	for ((head) = (r)->cq_head;					\
	     ((cqe) = (uint32_t)((head) - (r)->cq_head) <		\
		      nvmering_cq_ready(r) ?				\
		      &(r)->cqes[(head) & (r)->cq_mask] : NULL) != NULL; \
	     (head)++)

/* Mark n completions seen: the kernel may reuse their entries. */
static inline void nvmering_cq_advance(struct nvmering *r, uint32_t n)
{
	r->cq_head += n;
	nvmering__store_release(r->cq_cons, r->cq_head);	/* (D) */
	/*
	 * A sleeping poller may have stopped on a full CQ with entries still
	 * queued: the room just made is news to it.
	 */
	if (nvmering_sq_polled(r)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (E) */
		if (nvmering_sq_need_wakeup(r) &&
		    nvmering__load_acquire(r->sq_prod) !=
		    nvmering__load_acquire(r->sq_cons))
			nvmering_kick(r, 0);
	}
}

#ifdef __cplusplus
}
#endif

#endif /* _NVMERING_H */
