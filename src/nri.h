/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme_ring_io: internal definitions shared by the data plane (src/) and
 * the control plane (configfs/).
 */
#ifndef _NVME_RING_IO_NRI_H
#define _NVME_RING_IO_NRI_H

#include <linux/blk-mq.h>
#include <linux/bio.h>
#include <linux/cdev.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/nvme.h>
#include <linux/nvme_ring_io.h>

#include "compat.h"
#include "queue.h"

struct io_uring_cmd;
struct io_comp_batch;
struct nvme_ns;
struct nri_ring;

#define NRI_CHUNK_ORDER		(21 - PAGE_SHIFT)	/* 2 MiB */
#define NRI_CHUNK_SIZE		BIT(21)
#define NRI_IDX_PAGE_SIZE	4096
/* the indices page, the largest SQ and CQ, rounded up to a page */
#define NRI_MAX_HDR_SIZE	(NRI_IDX_PAGE_SIZE + NVME_RING_IO_MAX_ENTRIES * \
				 (sizeof(u64) + sizeof(struct nvme_ring_cqe)) + \
				 PAGE_SIZE)
#define NRI_DEF_ENTRIES		256
#define NRI_DEF_DATA_SIZE	(4UL << 20)
#define NRI_MAX_TRANSFER	BIT(20)
/*
 * Command timeouts. A timeout makes the driver abort the command and may
 * reset the controller for every user: by default clients may lengthen
 * the driver's 30 s, not shorten it. Disabling a ring waits this long for
 * its commands before it aborts them.
 */
#define NRI_TIMEOUT_LIMIT_MS	1000
#define NRI_TIMEOUT_CEILING_MS	(24U * 3600 * 1000)
#define NRI_DEF_TIMEOUT_MIN_MS	30000
#define NRI_DEF_TIMEOUT_MAX_MS	600000
#define NRI_DEF_TEARDOWN_MS	10000
#define NRI_NAME_MAX		32
#define NRI_MAX_HCTX		1024
/* per ring: at most NRI_WARN_BURST warnings each NRI_WARN_INTERVAL */
#define NRI_WARN_INTERVAL	(5 * HZ)
#define NRI_WARN_BURST		30

/* What this kernel offers and accepts: kept out of the uapi on purpose. */
#if NRI_HAVE_URING_CMD
#define NRI_URING_FEATURES	(NVME_RING_IO_F_URING_CMD |		\
				 NVME_RING_IO_F_URING_CMD_IOPOLL)
#else
#define NRI_URING_FEATURES	0
#endif
#define NRI_FEATURES		(NVME_RING_IO_F_MULTI_QUEUE |		\
				 NVME_RING_IO_F_CQE_STATUS |		\
				 NVME_RING_IO_F_REMOTE_SUBMIT |		\
				 NVME_RING_IO_F_LBA_WINDOW |		\
				 NVME_RING_IO_F_SQ_POLL |		\
				 NVME_RING_IO_F_POLL |			\
				 NVME_RING_IO_F_REPAIR_INDICES |	\
				 NVME_RING_IO_F_METADATA |		\
				 NVME_RING_IO_F_SUBMIT_WAIT |		\
				 NVME_RING_IO_F_CMD_STATS |		\
				 NRI_URING_FEATURES)
#define NRI_SETUP_FLAGS		(NVME_RING_SETUP_F_NUMA_NODE |		\
				 NVME_RING_SETUP_F_HUGEPAGES)
#define NRI_COMPLETE_FLAGS	NVME_RING_COMPLETE_F_HYBRID

/* Opcodes a ring allows when the administrator says nothing. */
#define NRI_OPC_BITS		256
#define NRI_OPC_LONGS		BITS_TO_LONGS(NRI_OPC_BITS)
#define NRI_XFER_NDT		U32_MAX	/* CDW10 counts the data's dwords */

/*
 * The opcodes a ring allows, and for those the fence does not know (see
 * nri_opcode_known()) the transfer length the administrator gave: a fixed
 * number of bytes, or NRI_XFER_NDT.
 */
struct nri_opcodes {
	DECLARE_BITMAP(allowed, NRI_OPC_BITS);
	u32			xfer[NRI_OPC_BITS];
};

#define NRI_PATH_MAX		128

/*
 * What a ring is made from: filled by configfs for named rings and by the
 * SETUP ioctl for anonymous ones, validated by nri_ring_create(). Plain
 * data but nvme_file, so that enable can take a struct copy.
 */
struct nri_config {
	char			name[NRI_NAME_MAX];
	char			device[NRI_PATH_MAX];	/* of the namespace */
	struct file		*nvme_file;	/* SETUP: the caller's nvme_fd */
	struct cpumask		cpus;		/* empty: automatic */
	int			numa_node;	/* NUMA_NO_NODE: automatic */
	u32			nr_queues;	/* 0: one per hardware queue */
	u32			sq_entries;
	u32			cq_entries;
	u64			data_size;
	bool			hugepages;
	bool			anonymous;
	bool			sq_poll;
	u32			sq_poll_idle_ms;
	struct cpumask		sq_poll_cpus;	/* empty: the queue's CPUs */
	bool			poll;		/* polled completions */
	bool			directives;	/* DTYPE/DSPEC on writes */
	bool			pi_check;	/* clients must check PI */
	bool			iostats;	/* account I/O on the disk */
	u32			timeout_min_ms;	/* a client's timeout_ms range */
	u32			timeout_max_ms;
	u32			teardown_timeout_ms; /* then abort */
	kuid_t			uid;
	kgid_t			gid;
	umode_t			mode;
	u64			lba_start;
	u64			lba_count;	/* 0: to the end */
	struct nri_opcodes	opcodes;
};

/*
 * The way to the namespace: the namespace of one controller (for a
 * multipath head, one of its paths) and its request queue. Submitters take
 * a reference for each command they send, which its completion drops, so
 * a path the ring has moved away from lives until its last command is
 * done (nri_path_switch()).
 */
struct nri_path {
	struct percpu_ref	ref;
	struct nvme_ns		*ns;		/* referenced */
	struct request_queue	*q;
	char			ctrl[32];	/* its controller's name */
	u16			cntlid;
	struct work_struct	free_work;
};

/* The namespace a ring is bound to. */
struct nri_target {
	struct file		*file;		/* keeps the device open */
	/*
	 * Changed only for a multipath head, under the ring's path_lock and
	 * inside its live gate; read under RCU (nri_path_get()), or with
	 * nri_path_fixed() where it cannot change.
	 */
	struct nri_path __rcu	*path;
	struct block_device	*disk_bdev;	/* the disk users see */
	struct block_device	*acct_bdev;	/* iostats: disk_bdev, or NULL */
	bool			head;		/* bound through a multipath head */
	u16			home_cntlid;	/* a head's: the bind path's */
	u32			nsid;
	u32			lba_shift;
	u32			lba_bytes;
	u64			nr_lbas;
	u64			disk_sectors;	/* at bind, to notice a resize */
	u16			ms;		/* metadata bytes per block */
	bool			meta_ext;	/* interleaved with the data */
	u8			pi_type;	/* 0: no protection information */
	u8			pi_size;
	bool			pi_first;
	unsigned long		timeout;	/* default, in the ring's range */
	u32			max_transfer;
	u32			max_vecs;
	u32			dma_align;	/* mask */
	bool			writable;
	bool			poll_queues;	/* the device has poll queues */
	bool			poll;		/* use them: REQ_POLLED */
	int			node;		/* the device's node */
};

/* One in-flight command; preallocated, so the I/O path allocates nothing. */
struct nri_cmd {
	struct nri_queue	*nq;
	u32			idx;		/* in the queue's cmds */
	u64			slot;		/* the SQ descriptor */
	u32			bytes;
	bool			write;
	bool			slot_ok;
	bool			has_bio;
	bool			issued;		/* went to the device */
	u8			opcode;
	enum req_op		acct_op;	/* when accounted */
	bool			acct;		/* counted on the disk */
	u32			acct_sectors;
	unsigned long		acct_start;	/* jiffies, for the disk */
	u64			start_ns;	/* issued at */
	struct io_uring_cmd	*ioucmd;	/* NVME_RING_IO_URING_CMD */
	struct request		*rq;		/* in flight; polled rings */
	struct nri_path		*path;		/* in flight on; referenced */
	/*
	 * A multipath head's command that may be sent again on another
	 * path: the snapshot it was made from, and how often it was.
	 */
	bool			may_retry;
	u8			retries;
	struct list_head	requeue;	/* on the ring's requeue list */
	struct nvme_ring_slot	snap;
	struct bio		bio;
	struct bio_vec		bvecs[];
};

struct nri_queue {
	struct kobject		kobj;		/* queues/<idx>/ */
	struct nri_ring		*ring;
	unsigned int		idx;
	int			node;		/* where the memory is */
	cpumask_var_t		cpus;
	unsigned long		*hctxs;		/* bitmap of hardware contexts */
	unsigned int		nr_hw_queues;

	/* memory: nr_pages pages, mapped contiguously at base */
	struct page		**pages;
	unsigned long		nr_pages;
	unsigned long		hdr_pages;	/* order-0, before the chunks */
	unsigned int		nr_chunks;
	unsigned int		huge_chunks;
	void			*base;
	struct nvme_ring_layout	layout;

	/* the shared rings (queue.h) and the data area */
	struct nri_rings	rings;
	u8			*data;

	/* submission side (rings.sq_head): protected by sq_lock */
	struct mutex		sq_lock;

	/* completion side (rings.cq_tail): protected by cq_lock, hard IRQ */
	spinlock_t		cq_lock;
	/*
	 * Commands taken from the pool and not back: CQ room is kept for
	 * each. Of them, @reserved are not yet counted as submitted: taken
	 * but not yet sent, refused or failed, they may still go back to
	 * the pool (the device queue was full). Taking and giving back
	 * change both under cq_lock; a command is counted (reserved drops,
	 * without the lock) when it is first marked issued, before the
	 * device can see it, or when it is completed unissued, so the counters
	 * never go back and submitted = completed + inflight - reserved
	 * (nri_queue_stats()).
	 */
	u32			inflight;
	atomic_t		reserved;
	u32			nr_free;
	u32			*free_cmds;
	/*
	 * Counters, in the uapi's own struct (its inflight field unused;
	 * submitted is worked out, see above). Each has a line in
	 * nri_stat_info[] (sysfs.c), which makes its sysfs files and stat
	 * table column: a new counter is a field of struct
	 * nvme_ring_stats, taken from its resv, and a line there.
	 */
	struct nvme_ring_stats	stats;

	/* preallocated commands, cmd_stride bytes each */
	void			*cmds;
	size_t			cmd_stride;
	u32			nr_cmds;

	wait_queue_head_t	wait;
	struct list_head	uring_waiters;	/* protected by cq_lock */
	u32			nr_uring_waiters;
	u32			hybrid_us;	/* polled rings: sleep between polls */
	u32			poll_hint;	/* polled rings: last command issued */

	struct task_struct	*poller;	/* SQ poller, when configured */
};

enum nri_state {
	NRI_STATE_LIVE,
	NRI_STATE_DEAD,		/* the device went away */
	NRI_STATE_DISABLED,	/* torn down by the administrator */
};

struct nri_ring {
	struct device		dev;		/* lifetime of the ring */
	struct cdev		cdev;		/* named rings only */
	bool			cdev_added;
	bool			dev_added;
	struct kobject		*queues_kobj;
	struct nri_config	*cfg;
	struct nri_target	tgt;
	int			numa_node;
	unsigned int		nr_queues;
	struct nri_queue	**queues;
	atomic_t		state;		/* enum nri_state */
	/*
	 * The live gate: every path that may reach the namespace (submitting,
	 * polling) holds it, through nri_ring_enter(). Disable kills it and
	 * waits for @drained before it lets go of the namespace.
	 */
	struct percpu_ref	live;
	struct completion	drained;
	bool			torn_down;	/* nri_ring_disable() ran */
	int			anon_id;	/* anonymous rings: anon.<id> */
	/*
	 * Multipath heads: the path's changes (path_lock), the commands
	 * that failed on a path and wait to be sent again (requeue_lock,
	 * taken in hard IRQ), and the work that does both.
	 */
	struct mutex		path_lock;
	u32			path_changes;
	bool			path_waiting;	/* for one to come back */
	spinlock_t		requeue_lock;
	struct list_head	requeue_list;
	struct delayed_work	path_work;
	/* warnings about what its clients do: a budget of the ring's own */
	struct ratelimit_state	warn_rs;
};

static inline struct nri_cmd *nri_cmd_at(struct nri_queue *nq, u32 i)
{
	return nq->cmds + (size_t)i * nq->cmd_stride;
}

static inline bool nri_ring_live(struct nri_ring *ring)
{
	return atomic_read(&ring->state) == NRI_STATE_LIVE;
}

/* Enter the data plane; false once the ring is being disabled. */
static inline bool nri_ring_enter(struct nri_ring *ring)
{
	return percpu_ref_tryget_live(&ring->live);
}

static inline void nri_ring_exit(struct nri_ring *ring)
{
	percpu_ref_put(&ring->live);
}

/* The path when it cannot change: a ring that is not live, or polled. */
static inline struct nri_path *nri_path_fixed(struct nri_ring *ring)
{
	return rcu_dereference_protected(ring->tgt.path, true);
}

/* What nvme_glue.c tells of a namespace. */
struct nri_ns_info {
	struct request_queue	*q;
	struct block_device	*disk_bdev;	/* where iostat looks */
	bool			head;		/* a path of a multipath head */
	u32			nsid;
	u32			lba_shift;
	u64			nr_lbas;	/* NSZE; set at bind only */
	u64			disk_sectors;	/* the disk's size, 0 if hidden */
	u16			ms;		/* metadata bytes per block */
	bool			meta_ext;	/* extended LBAs (MSET=1) */
	u8			pi_type;	/* 0, or protection type 1-3 */
	u8			pi_size;	/* bytes of the PI tuple */
	bool			pi_first;	/* PI leads the metadata; bind only */
	bool			guard16;	/* 16-bit guard PI format */
	bool			read_only;	/* forced by the driver */
	int			node;		/* the controller's node */
	u16			cntlid;		/* the controller's */
};

/* src/nvme_glue.c: the only user of the driver's private nvme.h */
struct nvme_ns *nri_nvme_get_ns(struct file *f, const char *path, int node,
				struct nri_ns_info *info);
void nri_nvme_put_ns(struct nvme_ns *ns);
void nri_nvme_describe_ns(struct nvme_ns *ns, struct nri_ns_info *info);
u32 nri_nvme_io_effects(struct nvme_ns *ns, u8 opc);
struct request *nri_nvme_alloc_request(struct request_queue *q,
				       struct nvme_command *c, blk_opf_t opf,
				       blk_mq_req_flags_t flags);
int nri_nvme_rq_status(struct request *rq, blk_status_t err, u16 *status,
		       u64 *result);
bool nri_nvme_rq_path_error(struct request *rq, blk_status_t err);
void nri_nvme_path_failed(struct request *rq);
bool nri_nvme_path_usable(struct nvme_ns *ns);
bool nri_nvme_path_available(struct nvme_ns *ns);
struct nvme_ns *nri_nvme_best_path(struct nvme_ns *ns, int node, u16 home);
const char *nri_nvme_ctrl_name(struct nvme_ns *ns);

/* src/target.c */
int nri_target_open(struct nri_target *t, const char *path, struct file *f,
		    int node);
void nri_target_close(struct nri_target *t);
bool nri_target_fits(const struct nri_target *t, const struct nri_ns_info *i);
bool nri_target_changed(struct nri_ring *ring, struct nri_path *p);
int nri_target_hctx_of_cpu(struct nri_target *t, struct nri_path *p,
			   unsigned int cpu);
struct nri_path *nri_path_alloc(struct nvme_ns *ns, struct request_queue *q,
				u16 cntlid);
void nri_path_retire(struct nri_path *p);
struct nri_path *nri_path_get(struct nri_ring *ring);

static inline void nri_path_put(struct nri_path *p)
{
	percpu_ref_put(&p->ref);
}

int nri_path_switch(struct nri_ring *ring, struct nri_path *lost);
void nri_path_work(struct work_struct *work);
void nri_requeue(struct nri_cmd *cmd);
void nri_requeue_fail_all(struct nri_ring *ring);

/*
 * Keep the namespace queue from freezing to the end (and so its requests
 * from being freed) while we poll through a request pointer that may have
 * completed meanwhile; as blk_rq_poll() and bio_poll() do, a queue whose
 * freeze has begun may still be entered, or polled requests would wait
 * for their timeout.
 */
static inline bool nri_target_hold(struct nri_ring *ring)
{
	return percpu_ref_tryget(&nri_path_fixed(ring)->q->q_usage_counter);
}

static inline void nri_target_unhold(struct nri_ring *ring)
{
	percpu_ref_put(&nri_path_fixed(ring)->q->q_usage_counter);
}

int nri_target_poll_hctx(struct request_queue *q, int hctx);

/* src/ring.c */
__printf(2, 3) void nri_warn(struct nri_ring *ring, const char *fmt, ...);
extern atomic_t nri_rings_alive;
extern atomic_long_t nri_pages_alive;
struct nri_config *nri_config_alloc(void);
struct nri_config *nri_config_dup(const struct nri_config *src);
void nri_config_free(struct nri_config *cfg);
int nri_check_entries(const char *ring, const char *attr, u32 *v);
int nri_check_data_size(const char *ring, const char *attr, u64 *v);
int nri_check_nr_queues(const char *ring, const char *attr, u32 *v);
int nri_check_timeout(const char *ring, const char *attr, u32 *v);
int nri_check_teardown_timeout(const char *ring, const char *attr, u32 *v);
void nri_config_default_opcodes(struct nri_config *cfg);
int nri_nearest_mem_node(int node);
struct nri_ring *nri_ring_create(struct nri_config *cfg);
void nri_ring_disable(struct nri_ring *ring);
void nri_ring_put(struct nri_ring *ring);
void nri_queue_release(struct kobject *kobj);
void nri_queue_stats(struct nri_queue *nq, struct nvme_ring_stats *st, u32 *inflight);
bool nri_mark_dead(struct nri_ring *ring);
const char *nri_state_name(struct nri_ring *ring);
int nri_opcode_name(u8 opc, char *buf, size_t len);
bool nri_opcode_known(u8 opc);
u32 nri_cmd_meta_len(const struct nri_target *t,
		     const struct nvme_common_command *c);
int nri_opcode_parse(const char *tok, u8 *opc);

/* src/cmd.c */
/* Status for commands refused before reaching the device. */
#define NRI_SC_INVALID_FIELD	(NVME_SC_INVALID_FIELD | NVME_STATUS_DNR)
#define NRI_SC_INVALID_OPCODE	(NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR)
#define NRI_SC_LBA_RANGE	(NVME_SC_LBA_RANGE | NVME_STATUS_DNR)
#define NRI_SC_ACCESS_DENIED	(NVME_SC_ACCESS_DENIED | NVME_STATUS_DNR)
#define NRI_SC_HOST_PATH	NVME_SC_HOST_PATH_ERROR

#define NRI_ISSUE_NOWAIT	BIT(0)	/* never sleep for a request */
#define NRI_ISSUE_POLLED	BIT(1)	/* on the poll queues (REQ_POLLED) */
#define NRI_ISSUE_RETRY		BIT(2)	/* again, after a path error */

/*
 * How often a head's command is sent again after path errors: at once the
 * first time, then NRI_PATH_RETRY apart (path.c), about a second in all
 * if its path still looks usable.
 */
#define NRI_MAX_RETRIES		10

enum nri_issue_ret {
	NRI_ISSUED,		/* on its way; nri_end_io() finishes it */
	NRI_BUSY,		/* NRI_ISSUE_NOWAIT: no request free */
	NRI_REJECTED,		/* refused by the ring's rules */
	NRI_FAILED,		/* no request: the device or path is gone */
};

/*
 * What a batch of submissions shares: its path, referenced and checked
 * against the ring's geometry once for the batch, and its start time.
 */
struct nri_batch {
	struct nri_path		*path;		/* NULL: each command finds its own */
	u64			now_ns;
};

void nri_copy_once(void *dst, const void *src, size_t len);
u16 nri_check_cmd(struct nri_queue *nq, const struct nvme_ring_slot *s,
		  const struct nvme_common_command *c, int *err, char *why,
		  size_t len);
enum nri_issue_ret nri_cmd_issue(struct nri_queue *nq, struct nri_cmd *cmd,
				 struct nvme_ring_slot *s, unsigned int flags,
				 const struct nri_batch *b, u16 *status, int *err);
enum rq_end_io_ret nri_end_io(struct request *rq, blk_status_t err);

/* src/dataplane.c */
int nri_submit(struct nri_queue *nq, u32 max);
int nri_poll_completions(struct nri_queue *nq);
int __nri_poll_completions(struct nri_queue *nq);
void nri_repair_indices(struct nri_queue *nq);
int nri_submit_nowait(struct nri_queue *nq, u32 max);
int nri_submit_locked(struct nri_queue *nq, u32 max, bool nowait);
struct nri_cmd *nri_cmd_get(struct nri_queue *nq);

void nri_cmd_put(struct nri_cmd *cmd, u16 status, int err, bool rejected);
void nri_cmd_unget(struct nri_queue *nq, struct nri_cmd **cmds, int n);
void nri_cmd_complete(struct nri_cmd *cmd, u16 status, u64 result, int err,
		      u16 flags);
int nri_complete_wait(struct nri_queue *nq, u32 min, u32 timeout_ms,
		      bool hybrid, u32 *avail);

/* src/uring.c */
int nri_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
int nri_uring_cmd_iopoll(struct io_uring_cmd *ioucmd,
			 struct io_comp_batch *iob, unsigned int poll_flags);
/* io_uring CQ waiters of one queue, at most; taken off in one batch */
#define NRI_MAX_URING_WAITERS	16
struct nri_uring_batch {
	struct io_uring_cmd	*cmds[NRI_MAX_URING_WAITERS];
	int			n;
};

void nri_uring_collect(struct nri_queue *nq, bool all, int err,
		       struct nri_uring_batch *b);
void nri_uring_finish(struct nri_uring_batch *b);
void nri_uring_cancel_all(struct nri_queue *nq, int err);
unsigned int nri_abort_inflight(struct nri_ring *ring);
void nri_uring_cmd_end(struct nri_cmd *cmd, u16 status, u64 result, int err);

/* src/poller.c */
int nri_poller_start(struct nri_queue *nq);
const struct cpumask *nri_poller_cpus(const struct nri_queue *nq);
void nri_poller_stop(struct nri_queue *nq);
void nri_poller_kick(struct nri_queue *nq);

/* src/file.c */
struct nri_queue *nri_file_to_queue(struct file *file);
int nri_file_may_write(struct file *file, struct nri_ring *ring,
		       const char *what);
extern const struct file_operations nri_fops;

/* src/sysfs.c */
extern NRI_CLASS_CONST struct class nri_class;
extern const struct device_type nri_ring_type;
extern const struct attribute_group *nri_ring_groups[];
extern const struct kobj_type nri_queue_ktype;
void nri_stats_init(void);
int nri_sysfs_add_queues(struct nri_ring *ring);
void nri_sysfs_del_queues(struct nri_ring *ring);

/* src/main.c */
extern dev_t nri_devt;
extern struct workqueue_struct *nri_wq;
int nri_minor_get(void);
void nri_minor_put(int minor);

/* configfs/configfs.c */
int nri_configfs_init(void);
void nri_configfs_exit(void);

#endif /* _NVME_RING_IO_NRI_H */
