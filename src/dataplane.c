// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the data plane.
 *
 * The index protocol and its barriers are in queue.h.
 *
 * Flow control: a command is taken from the SQ only when a CQ entry is
 * certain to be free for its completion (entries in the CQ plus commands in
 * flight stay below cq_entries), so every command gets exactly one completion and none is
 * dropped. The completion path (rq->end_io) runs in hard-IRQ context: it
 * writes the CQ entry under cq_lock and wakes waiters; it never submits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/delay.h>
#include <linux/nvme.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "nvme.h"
#include "nri.h"

/* Status for commands refused before reaching the device. */
#define NRI_SC_INVALID_FIELD	(NVME_SC_INVALID_FIELD | NVME_STATUS_DNR)
#define NRI_SC_INVALID_OPCODE	(NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR)
#define NRI_SC_LBA_RANGE	(NVME_SC_LBA_RANGE | NVME_STATUS_DNR)
#define NRI_SC_ACCESS_DENIED	(NVME_SC_ACCESS_DENIED | NVME_STATUS_DNR)
#define NRI_SC_HOST_PATH	NVME_SC_HOST_PATH_ERROR

/* Give a command back to the pool and count it; cq_lock held. */
static void __nri_cmd_release(struct nri_queue *nq, struct nri_cmd *cmd,
			      u16 status, int err)
{
	lockdep_assert_held(&nq->cq_lock);
	nq->stats.completed++;
	if (status || err)
		nq->stats.errors++;
	else if (cmd->write)
		nq->stats.bytes_written += cmd->bytes;
	else
		nq->stats.bytes_read += cmd->bytes;
	nq->inflight--;
	cmd->ioucmd = NULL;
	nq->free_cmds[nq->nr_free++] = cmd->idx;
}

/* One command from the pool, counted as submitted; NULL when none is free. */
struct nri_cmd *nri_cmd_get(struct nri_queue *nq)
{
	struct nri_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&nq->cq_lock, flags);
	if (nq->nr_free) {
		cmd = nri_cmd_at(nq, nq->free_cmds[--nq->nr_free]);
		nq->inflight++;
		nq->stats.submitted++;
	}
	spin_unlock_irqrestore(&nq->cq_lock, flags);
	return cmd;
}

void nri_cmd_put(struct nri_cmd *cmd, u16 status, int err)
{
	struct nri_queue *nq = cmd->nq;
	unsigned long flags;

	spin_lock_irqsave(&nq->cq_lock, flags);
	__nri_cmd_release(nq, cmd, status, err);
	spin_unlock_irqrestore(&nq->cq_lock, flags);
	if (wq_has_sleeper(&nq->wait))
		wake_up(&nq->wait);
}

/* Write one completion: slot (when valid), CQ entry, counters, wakeup. */
static void nri_post_completion(struct nri_cmd *cmd, u16 status, u64 result,
				int err, u16 flags)
{
	struct nri_queue *nq = cmd->nq;
	struct nvme_ring_cqe *cqe;
	unsigned long irqflags;
	bool waiters;

	if (cmd->slot_ok) {
		struct nvme_ring_slot *slot = (void *)(nq->data + cmd->slot);

		WRITE_ONCE(slot->result, result);
		WRITE_ONCE(slot->status, status);
		WRITE_ONCE(slot->err, err);
	}

	spin_lock_irqsave(&nq->cq_lock, irqflags);
	cqe = nri_cq_next(&nq->rings);
	WRITE_ONCE(cqe->slot, cmd->slot);
	WRITE_ONCE(cqe->status, status);
	WRITE_ONCE(cqe->flags, flags);
	WRITE_ONCE(cqe->err, err);
	nri_cq_publish(&nq->rings);
	__nri_cmd_release(nq, cmd, status, err);
	if (flags & NVME_RING_CQE_F_REJECTED)
		nq->stats.invalid_descs++;
	waiters = !list_empty(&nq->uring_waiters);
	spin_unlock_irqrestore(&nq->cq_lock, irqflags);

	if (waiters)
		nri_uring_wake(nq);
	if (wq_has_sleeper(&nq->wait))
		wake_up(&nq->wait);
}

static void nri_reject(struct nri_cmd *cmd, u16 status, int err)
{
	u16 flags = NVME_RING_CQE_F_REJECTED;

	if (!cmd->slot_ok)
		flags |= NVME_RING_CQE_F_BAD_SLOT;
	cmd->bytes = 0;
	nri_post_completion(cmd, status, 0, err, flags);
}

enum rq_end_io_ret nri_end_io(struct request *rq, blk_status_t err)
{
	struct nri_cmd *cmd = rq->end_io_data;
	struct nvme_request *nreq = nvme_req(rq);
	u64 result = le64_to_cpu(nreq->result.u64);
	u16 status = nreq->status;
	int errno = 0;

	if (nreq->flags & NVME_REQ_CANCELLED) {
		errno = -EINTR;
		if (!status)
			status = NVME_SC_ABORT_REQ;
	} else if (status) {
		errno = -EIO;
	} else if (err) {
		errno = blk_status_to_errno(err);
		status = NRI_SC_HOST_PATH;
	}
	if (cmd->has_bio) {
		bio_uninit(&cmd->bio);
		cmd->has_bio = false;
	}
	WRITE_ONCE(cmd->rq, NULL);
	if (cmd->ioucmd)
		nri_uring_cmd_end(cmd, status, result, errno);
	else
		nri_post_completion(cmd, status, result, errno, 0);
	return RQ_END_IO_FREE;
}

static bool nri_is_modifying(u8 opc)
{
	return opc != nvme_cmd_read && opc != nvme_cmd_compare &&
	       opc != nvme_cmd_flush && opc != nvme_cmd_verify;
}

/*
 * Check a command against the ring's rules. Returns 0 or an NVMe status,
 * with *err set to the errno the client sees.
 */
u16 nri_check_cmd(struct nri_queue *nq, const struct nvme_ring_slot *s,
		  const struct nvme_common_command *c, int *err)
{
	struct nri_ring *ring = nq->ring;
	struct nri_config *cfg = ring->cfg;
	struct nri_target *t = &ring->tgt;
	u64 slba = 0, nlb = 0, want = 0, end;
	bool lba_cmd = false;
	u8 opc = c->opcode;

	*err = -EINVAL;
	if (s->resv1 || s->resv2 || s->resv3 || s->meta_len || s->meta_off ||
	    c->flags || c->metadata || c->dptr.prp1 || c->dptr.prp2)
		return NRI_SC_INVALID_FIELD;

	if (!test_bit(opc, cfg->opcodes)) {
		*err = -EPERM;
		return NRI_SC_INVALID_OPCODE;
	}
	if (!t->writable && nri_is_modifying(opc)) {
		*err = -EBADF;
		return NRI_SC_ACCESS_DENIED;
	}

	switch (opc) {
	case nvme_cmd_read:
	case nvme_cmd_write:
	case nvme_cmd_compare:
		lba_cmd = true;
		slba = le64_to_cpu(((struct nvme_rw_command *)c)->slba);
		nlb = le16_to_cpu(((struct nvme_rw_command *)c)->length) + 1ULL;
		want = nlb * t->lba_bytes;
		break;
	case nvme_cmd_write_zeroes:
	case nvme_cmd_write_uncor:
	case nvme_cmd_verify:
		lba_cmd = true;
		slba = le64_to_cpu(((struct nvme_rw_command *)c)->slba);
		nlb = le16_to_cpu(((struct nvme_rw_command *)c)->length) + 1ULL;
		want = 0;
		break;
	case nvme_cmd_flush:
		want = 0;
		break;
	case nvme_cmd_dsm:
		/* The ranges live in shared memory: no window can be enforced. */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			return NRI_SC_LBA_RANGE;
		}
		want = ((le32_to_cpu(c->cdw10) & 0xff) + 1) *
		       sizeof(struct nvme_dsm_range);
		break;
	default:
		/*
		 * An opcode the administrator allowed by number (or Copy):
		 * its LBAs are not known here, so no window can be enforced.
		 */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			return NRI_SC_LBA_RANGE;
		}
		want = s->data_len;
		break;
	}

	if (s->data_len != want) {
		*err = -EINVAL;
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len > t->max_transfer) {
		*err = -E2BIG;
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len &&
	    (s->data_off > nq->layout.data_size ||
	     s->data_len > nq->layout.data_size - s->data_off ||
	     (s->data_off & t->dma_align) || (s->data_len & 3))) {
		*err = -EFAULT;
		return NRI_SC_INVALID_FIELD;
	}
	if (lba_cmd) {
		u64 first = cfg->lba_start;
		u64 count = cfg->lba_count ? cfg->lba_count :
				t->nr_lbas - cfg->lba_start;

		if (check_add_overflow(slba, nlb, &end) || slba < first ||
		    end > first + count) {
			*err = -ERANGE;
			return NRI_SC_LBA_RANGE;
		}
	}
	*err = 0;
	return 0;
}

/* Map data_off/data_len of the data area, one bio_vec per page. */
int nri_map_data(struct nri_queue *nq, struct nri_cmd *cmd,
		 struct request *rq, u64 off, u32 len)
{
	struct bio *bio = &cmd->bio;
	int ret;

	off += nq->layout.data_off;
	bio_init(bio, NULL, cmd->bvecs, nq->ring->tgt.max_vecs, req_op(rq));
	while (len) {
		struct page *page = nq->pages[off >> PAGE_SHIFT];
		u32 poff = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		__bio_add_page(bio, page, n, poff);
		off += n;
		len -= n;
	}
	ret = blk_rq_append_bio(rq, bio);
	if (ret) {
		bio_uninit(bio);
		return ret;
	}
	cmd->has_bio = true;
	return 0;
}

/* The namespace, the identifier and the data pointers are ours. */
void nri_prepare_nvme_cmd(struct nri_ring *ring, struct nvme_command *c)
{
	c->common.nsid = cpu_to_le32(ring->tgt.nsid);
	c->common.command_id = 0;
	c->common.flags = 0;
	c->common.metadata = 0;
	c->common.dptr.prp1 = 0;
	c->common.dptr.prp2 = 0;
}

/*
 * Take one descriptor and send it to the device, or reject it. Returns
 * -EAGAIN, leaving the descriptor where it is, only when @nowait and the
 * device queue has no room.
 */
static int nri_issue(struct nri_queue *nq, struct nri_cmd *cmd, u64 desc,
		     bool nowait)
{
	struct nri_ring *ring = nq->ring;
	struct nvme_ring_slot s;
	/* the command is used in place, in the snapshot */
	struct nvme_command *c = (struct nvme_command *)s.cmd;
	struct request *rq;
	u16 status;
	int err;

	BUILD_BUG_ON(sizeof(*c) != sizeof(s.cmd));
	cmd->slot = desc;
	cmd->has_bio = false;
	cmd->bytes = 0;
	cmd->write = false;
	cmd->ioucmd = NULL;
	cmd->slot_ok = !(desc & (NVME_RING_SLOT_SIZE - 1)) &&
		       desc <= nq->layout.data_size - NVME_RING_SLOT_SIZE;
	if (!cmd->slot_ok) {
		pr_warn_ratelimited("%s: queue %u: descriptor 0x%llx is not a slot in the %llu-byte data area\n",
				    dev_name(&ring->dev), nq->idx, desc,
				    nq->layout.data_size);
		nri_reject(cmd, NRI_SC_INVALID_FIELD, -EFAULT);
		return 0;
	}

	/* One snapshot of the slot: the client may scribble on it meanwhile. */
	memcpy(&s, nq->data + desc, sizeof(s));

	status = nri_check_cmd(nq, &s, &c->common, &err);
	if (status) {
		pr_warn_ratelimited("%s: queue %u: slot 0x%llx: opcode 0x%02x refused (error %d, status 0x%x)\n",
				    dev_name(&ring->dev), nq->idx, desc,
				    c->common.opcode, err, status);
		nri_reject(cmd, status, err);
		return 0;
	}
	nri_prepare_nvme_cmd(ring, c);

	rq = blk_mq_alloc_request(ring->tgt.q, nvme_req_op(c) |
				  (ring->tgt.poll ? REQ_POLLED : 0),
				  nowait ? BLK_MQ_REQ_NOWAIT : 0);
	if (IS_ERR(rq)) {
		err = PTR_ERR(rq);
		if (nowait && (err == -EAGAIN || err == -EWOULDBLOCK))
			return -EAGAIN;
		pr_warn_ratelimited("%s: queue %u: cannot allocate a request: error %d\n",
				    dev_name(&ring->dev), nq->idx, err);
		if (err == -ENODEV)
			atomic_cmpxchg(&ring->state, NRI_STATE_LIVE,
				       NRI_STATE_DEAD);
		nri_post_completion(cmd, NRI_SC_HOST_PATH, 0, err, 0);
		return 0;
	}
	nvme_init_request(rq, c);
	/*
	 * A timeout makes the driver abort the command and may reset the
	 * controller for everyone: clients may lengthen it, not make it tiny.
	 */
	if (s.timeout_ms)
		rq->timeout = msecs_to_jiffies(max_t(u32, s.timeout_ms,
						     NRI_MIN_TIMEOUT_MS));

	if (s.data_len) {
		err = nri_map_data(nq, cmd, rq, s.data_off, s.data_len);
		if (err) {
			blk_mq_free_request(rq);
			pr_warn_ratelimited("%s: queue %u: slot 0x%llx: cannot map %u bytes: error %d\n",
					    dev_name(&ring->dev), nq->idx, desc,
					    s.data_len, err);
			nri_reject(cmd, NRI_SC_INVALID_FIELD, err);
			return 0;
		}
	}
	cmd->bytes = s.data_len;
	cmd->write = nvme_is_write(c);
	rq->end_io = nri_end_io;
	rq->end_io_data = cmd;
	if (ring->tgt.poll) {
		WRITE_ONCE(cmd->rq, rq);
		WRITE_ONCE(nq->poll_hint, cmd->idx);
	}
	blk_execute_rq_nowait(rq, false);
	return 0;
}

#define NRI_POLL_HCTX	4

/* Poll @rq's hardware context once; completions are ended in a batch. */
static int nri_poll_rq(struct request *rq)
{
	DEFINE_IO_COMP_BATCH(iob);
	int ret;

	ret = blk_rq_poll(rq, &iob, BLK_POLL_ONESHOT);
	if (!rq_list_empty(&iob.req_list))
		iob.complete(&iob);
	return ret > 0 ? ret : 0;
}

/*
 * Polled rings get no interrupts: reap completions by polling, once, each
 * hardware context that has one of the queue's commands in flight. Any
 * context that may sleep; concurrent pollers are fine (the driver
 * serialises on its completion queue). A request pointer read here may
 * belong to a command completing meanwhile: requests are preallocated with
 * the queue, which we hold, so the worst case is one poll of a context
 * with nothing of ours, and blk_rq_poll() ignores a request no longer
 * polled.
 *
 * A queue whose CPUs are all served by one poll context (the usual case)
 * polls it through the newest command still in flight, found from the
 * last one issued backwards; one spanning several contexts looks at every
 * command.
 */
int nri_poll_completions(struct nri_queue *nq)
{
	struct blk_mq_hw_ctx *polled[NRI_POLL_HCTX];
	int n = 0, found = 0, j;
	u32 i, idx;

	if (!nq->ring->tgt.poll || !READ_ONCE(nq->inflight))
		return 0;
	if (nq->nr_hw_queues == 1) {
		idx = READ_ONCE(nq->poll_hint);
		for (i = 0; i < nq->nr_cmds; i++) {
			struct request *rq = READ_ONCE(nri_cmd_at(nq, idx)->rq);

			if (rq)
				return nri_poll_rq(rq);
			idx = idx ? idx - 1 : nq->nr_cmds - 1;
		}
		return 0;
	}
	for (i = 0; i < nq->nr_cmds && n < NRI_POLL_HCTX; i++) {
		struct request *rq = READ_ONCE(nri_cmd_at(nq, i)->rq);
		struct blk_mq_hw_ctx *h;

		if (!rq)
			continue;
		h = READ_ONCE(rq->mq_hctx);
		if (!h)
			continue;
		for (j = 0; j < n; j++)
			if (polled[j] == h)
				break;
		if (j < n)
			continue;
		polled[n++] = h;
		found += nri_poll_rq(rq);
	}
	return found;
}

/* Return reserved commands that were not used. */
static void nri_unreserve(struct nri_queue *nq, struct nri_cmd **cmds, int n)
{
	int i;

	spin_lock_irq(&nq->cq_lock);
	for (i = 0; i < n; i++) {
		nq->free_cmds[nq->nr_free++] = cmds[i]->idx;
		nq->inflight--;
		nq->stats.submitted--;
	}
	spin_unlock_irq(&nq->cq_lock);
}

/*
 * Reserve up to @want commands: bounded by free CQ room, so that each one
 * has a CQ entry waiting for its completion.
 */
static int nri_reserve(struct nri_queue *nq, u32 want, struct nri_cmd **cmds)
{
	struct nri_ring *ring = nq->ring;
	u32 cons, room, n, i;
	int ret;

	spin_lock_irq(&nq->cq_lock);
	ret = nri_cq_room(&nq->rings, &cons);
	if (ret < 0) {
		spin_unlock_irq(&nq->cq_lock);
		pr_warn_ratelimited("%s: queue %u: CQ consumer %u is ahead of producer %u\n",
				    dev_name(&ring->dev), nq->idx, cons,
				    nq->rings.cq_tail);
		return ret;
	}
	room = ret > nq->inflight ? ret - nq->inflight : 0;
	n = min3(want, room, nq->nr_free);
	if (n < want)
		nq->stats.cq_full_events++;
	for (i = 0; i < n; i++)
		cmds[i] = nri_cmd_at(nq, nq->free_cmds[--nq->nr_free]);
	nq->inflight += n;
	nq->stats.submitted += n;
	spin_unlock_irq(&nq->cq_lock);
	return n;
}

#define NRI_BATCH	32

/*
 * Consume up to @max (0: all) pending descriptors; the caller holds sq_lock.
 * With @nowait nothing sleeps: it stops early when the device queue is full.
 */
int nri_submit_locked(struct nri_queue *nq, u32 max, bool nowait)
{
	struct nri_ring *ring = nq->ring;
	struct nri_cmd *cmds[NRI_BATCH];
	struct blk_plug plug;
	u32 prod, pending, done = 0;
	int n = 0, i, ret;

	lockdep_assert_held(&nq->sq_lock);
	if (!nri_ring_live(ring))
		return -ENODEV;

	ret = nri_sq_peek(&nq->rings, &prod);
	if (ret < 0) {
		pr_warn_ratelimited("%s: queue %u: SQ producer %u runs %u ahead of consumer %u (%u entries)\n",
				    dev_name(&ring->dev), nq->idx, prod,
				    prod - nq->rings.sq_head, nq->rings.sq_head,
				    nri_sq_entries(&nq->rings));
		return ret;
	}
	pending = ret;
	if (!pending) {
		spin_lock_irq(&nq->cq_lock);
		nq->stats.sq_empty_kicks++;
		spin_unlock_irq(&nq->cq_lock);
		return 0;
	}
	if (max && max < pending)
		pending = max;

	/*
	 * One doorbell per batch, and the batch's requests taken from the
	 * plug's cache: one queue reference and one tag search for all of
	 * them. This is what blk_start_plug_nr_ios() does, which is not
	 * exported; an outer plug, if any, keeps its own setting.
	 */
	blk_start_plug(&plug);
	if (current->plug == &plug)
		plug.nr_ios = min_t(u32, pending, NRI_BATCH);
	while (done < pending) {
		n = nri_reserve(nq, min_t(u32, pending - done, NRI_BATCH), cmds);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			u64 desc = nri_sq_desc(&nq->rings, i);

			if (nri_issue(nq, cmds[i], desc, nowait)) {
				nri_unreserve(nq, cmds + i, n - i);
				n = -EAGAIN;
				break;
			}
		}
		nri_sq_release(&nq->rings, i);
		done += i;
		if (n < 0)
			break;
	}
	blk_finish_plug(&plug);
	/* a polled ring reaps what is already done while it is here */
	nri_poll_completions(nq);
	/* an error (corrupt CQ consumer, full device queue) unless some went */
	return n < 0 && !done ? n : done;
}

struct nri_remote {
	struct work_struct work;
	struct nri_queue *nq;
	u32 max;
	int ret;
};

static void nri_remote_fn(struct work_struct *work)
{
	struct nri_remote *r = container_of(work, struct nri_remote, work);

	mutex_lock(&r->nq->sq_lock);
	r->ret = nri_submit_locked(r->nq, r->max, false);
	mutex_unlock(&r->nq->sq_lock);
}

/*
 * Submit from the caller's context when every CPU it may run on belongs to
 * the queue, so the requests land on the queue's hardware context; otherwise
 * hand the batch to a worker on one of the queue's CPUs.
 */
int nri_submit(struct nri_queue *nq, u32 max)
{
	struct nri_remote r;
	unsigned int cpu;
	int ret;

	if (nq->poller) {
		nri_poller_kick(nq);
		return 0;
	}
	if (cpumask_subset(current->cpus_ptr, nq->cpus)) {
		mutex_lock(&nq->sq_lock);
		ret = nri_submit_locked(nq, max, false);
		mutex_unlock(&nq->sq_lock);
		return ret;
	}

	cpu = cpumask_any_and(nq->cpus, cpu_online_mask);
	if (cpu >= nr_cpu_ids) {
		pr_warn_ratelimited("%s: queue %u: none of its CPUs is online\n",
				    dev_name(&nq->ring->dev), nq->idx);
		return -ENXIO;
	}

	spin_lock_irq(&nq->cq_lock);
	nq->stats.remote_submits++;
	spin_unlock_irq(&nq->cq_lock);

	INIT_WORK_ONSTACK(&r.work, nri_remote_fn);
	r.nq = nq;
	r.max = max;
	r.ret = 0;
	queue_work_on(cpu, nri_wq, &r.work);
	flush_work(&r.work);
	destroy_work_on_stack(&r.work);
	return r.ret;
}

/*
 * The same from io_uring's inline issue: nothing may sleep, so a busy queue
 * or a caller outside the queue's CPUs gets -EAGAIN and io_uring retries
 * from its worker, where nri_submit() may sleep.
 */
int nri_submit_nowait(struct nri_queue *nq, u32 max)
{
	int ret;

	if (nq->poller) {
		nri_poller_kick(nq);
		return 0;
	}
	if (!cpumask_subset(current->cpus_ptr, nq->cpus))
		return -EAGAIN;
	if (!mutex_trylock(&nq->sq_lock))
		return -EAGAIN;
	ret = nri_submit_locked(nq, max, true);
	mutex_unlock(&nq->sq_lock);
	return ret;
}

/*
 * The indices the kernel owns (sq.consumer, cq.producer, and the flags
 * words when there is no poller to own sq.flags) are only ever written by
 * the kernel, but the page is the client's to scribble on. Write them back
 * from the kernel's own copies, so that a client (or the next one) that
 * trampled them can start over (NVME_RING_IO_REPAIR_INDICES).
 */
void nri_repair_indices(struct nri_queue *nq)
{
	mutex_lock(&nq->sq_lock);
	nri_sq_repair(&nq->rings, nq->poller);
	mutex_unlock(&nq->sq_lock);

	spin_lock_irq(&nq->cq_lock);
	nri_cq_repair(&nq->rings);
	spin_unlock_irq(&nq->cq_lock);
}

/*
 * COMPLETE on a polled ring: poll until @min are ready, the time is up, a
 * signal comes or the ring dies; always poll at least once. By default it
 * polls without sleeping, for the lowest latency. With @hybrid it sleeps
 * between polls: the sleep adapts per queue, growing while polls come back
 * empty and shrinking when they find work, so a batch of completions costs
 * a few timer wakeups instead of one interrupt each and the CPU is free
 * meanwhile. With an SQ poller on the queue, the poller reaps and this
 * only waits.
 */
#define NRI_HYBRID_MIN_US	4
#define NRI_HYBRID_MAX_US	500

static int nri_complete_poll(struct nri_queue *nq, u32 min, u32 timeout_ms,
			     bool hybrid)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);
	u32 delay;
	int found;

	for (;;) {
		found = nq->poller ? 0 : nri_poll_completions(nq);
		if (nri_cq_ready(&nq->rings) >= min || !timeout_ms ||
		    !nri_ring_live(nq->ring) || time_after(jiffies, end))
			return 0;
		if (signal_pending(current))
			return -EINTR;
		if (!hybrid && !nq->poller) {
			cond_resched();
			continue;
		}
		delay = READ_ONCE(nq->hybrid_us);
		if (found)
			delay = max_t(u32, delay * 3 / 4, NRI_HYBRID_MIN_US);
		else
			delay = min_t(u32, delay * 2, NRI_HYBRID_MAX_US);
		WRITE_ONCE(nq->hybrid_us, delay);
		usleep_range(delay, delay + delay / 4 + 1);
	}
}

static bool nri_wait_done(struct nri_queue *nq, u32 min)
{
	return nri_cq_ready(&nq->rings) >= min || !nri_ring_live(nq->ring);
}

struct nri_waiter {
	struct wait_queue_entry wq;
	struct nri_queue *nq;
	u32 min;
};

/*
 * Completions wake the queue's waiters one by one: a COMPLETE waiter is
 * woken only once what it waits for is there, not for each entry on the
 * way (as io_uring does for its CQ waiters).
 */
static int nri_waiter_wake(struct wait_queue_entry *wq, unsigned int mode,
			   int sync, void *key)
{
	struct nri_waiter *w = container_of(wq, struct nri_waiter, wq);

	if (!nri_wait_done(w->nq, w->min))
		return 0;
	return autoremove_wake_function(wq, mode, sync, key);
}

/* Sleep until nri_wait_done(); 0, or -ERESTARTSYS on a signal. */
static int nri_wait_cq(struct nri_queue *nq, u32 min, long timeout)
{
	struct nri_waiter w = { .nq = nq, .min = min };
	int ret = 0;

	init_wait_entry(&w.wq, 0);
	w.wq.func = nri_waiter_wake;
	for (;;) {
		prepare_to_wait(&nq->wait, &w.wq, TASK_INTERRUPTIBLE);
		if (nri_wait_done(nq, min))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		timeout = schedule_timeout(timeout);
		if (!timeout)
			break;
	}
	finish_wait(&nq->wait, &w.wq);
	return ret;
}

int nri_complete_wait(struct nri_queue *nq, u32 min, u32 timeout_ms,
		      bool hybrid, u32 *avail)
{
	long ret;

	if (min > nri_cq_entries(&nq->rings)) {
		pr_warn_ratelimited("%s: queue %u: min_complete %u exceeds the %u-entry CQ\n",
				    dev_name(&nq->ring->dev), nq->idx, min,
				    nri_cq_entries(&nq->rings));
		return -EINVAL;
	}
	if (nq->ring->tgt.poll) {
		ret = nri_complete_poll(nq, min, timeout_ms, hybrid);
		if (ret < 0)
			return ret;
	} else if (min && timeout_ms && nri_cq_ready(&nq->rings) < min) {
		ret = nri_wait_cq(nq, min, msecs_to_jiffies(timeout_ms));
		if (ret < 0)
			return ret;
	}
	*avail = nri_cq_ready(&nq->rings);
	if (!nri_ring_live(nq->ring) && !*avail)
		return -ENODEV;
	return 0;
}
