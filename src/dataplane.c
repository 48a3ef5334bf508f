// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the data plane.
 *
 * The index protocol and its barriers are in queue.h.
 *
 * Flow control: a command is taken from the SQ only when a CQ entry is
 * certain to be free for its completion (entries in the CQ plus commands in
 * flight stay below cq_entries), so every command gets exactly one
 * completion and none is dropped. The completion path (rq->end_io) runs in hard-IRQ context: it
 * writes the CQ entry under cq_lock and wakes waiters; it never submits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/delay.h>
#include <linux/nvme.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "nri.h"
#include "nri_trace.h"

/*
 * A command the device completed: counted by kind with its latency, ended
 * in the disk's accounting, traced.
 */
static void nri_cmd_done(struct nri_queue *nq, struct nri_cmd *cmd,
			 u16 status, int err)
{
	struct nri_ring *ring = nq->ring;
	u64 lat = ktime_get_ns() - cmd->start_ns;

	cmd->issued = false;
	if (cmd->opcode == nvme_cmd_read)
		nq->stats.reads++;
	else if (cmd->opcode == nvme_cmd_write)
		nq->stats.writes++;
	else
		nq->stats.others++;
	nq->stats.lat_total_ns += lat;
	if (lat > nq->stats.lat_max_ns)
		nq->stats.lat_max_ns = lat;
	if (cmd->acct)
		nri_end_io_acct(ring->tgt.acct_bdev, cmd->acct_op,
				status || err ? 0 : cmd->acct_sectors,
				cmd->acct_start);
	trace_nvme_ring_io_complete(dev_name(&ring->dev), nq->idx, cmd->slot,
				    cmd->opcode, status, err, lat);
}

/* Give a command back to the pool and count it; cq_lock held. */
static void __nri_cmd_release(struct nri_queue *nq, struct nri_cmd *cmd,
			      u16 status, int err, bool rejected)
{
	lockdep_assert_held(&nq->cq_lock);
	if (cmd->issued)
		nri_cmd_done(nq, cmd, status, err);
	else	/* refused or failed before the device saw it: count it */
		atomic_dec(&nq->reserved);
	nq->stats.completed++;
	if (rejected)
		nq->stats.invalid_descs++;
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

/* One command from the pool, not yet counted; NULL when none is free. */
struct nri_cmd *nri_cmd_get(struct nri_queue *nq)
{
	struct nri_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&nq->cq_lock, flags);
	if (nq->nr_free) {
		cmd = nri_cmd_at(nq, nq->free_cmds[--nq->nr_free]);
		cmd->issued = false;
		nq->inflight++;
		atomic_inc(&nq->reserved);
	}
	spin_unlock_irqrestore(&nq->cq_lock, flags);
	return cmd;
}

void nri_cmd_put(struct nri_cmd *cmd, u16 status, int err, bool rejected)
{
	struct nri_queue *nq = cmd->nq;
	unsigned long flags;

	spin_lock_irqsave(&nq->cq_lock, flags);
	__nri_cmd_release(nq, cmd, status, err, rejected);
	/* under the lock: once it is dropped, teardown may free the queue */
	if (wq_has_sleeper(&nq->wait))
		wake_up(&nq->wait);
	spin_unlock_irqrestore(&nq->cq_lock, flags);
}

/* Write one completion: slot (when valid), CQ entry, counters, wakeup. */
void nri_cmd_complete(struct nri_cmd *cmd, u16 status, u64 result, int err,
		      u16 flags)
{
	struct nri_queue *nq = cmd->nq;
	/* filled by nri_uring_collect(): not worth clearing per completion */
	struct nri_uring_batch waiters __uninitialized;
	struct nvme_ring_cqe *cqe;
	unsigned long irqflags;

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
	__nri_cmd_release(nq, cmd, status, err,
			  flags & NVME_RING_CQE_F_REJECTED);
	/*
	 * Wake waiters before the lock is dropped: once inflight has dropped
	 * and the lock is free, teardown may free the queue. io_uring waiters
	 * are finished after, through their own commands only.
	 */
	nri_uring_collect(nq, false, 0, &waiters);
	if (wq_has_sleeper(&nq->wait))
		wake_up(&nq->wait);
	spin_unlock_irqrestore(&nq->cq_lock, irqflags);
	nri_uring_finish(&waiters);
}

static void nri_reject(struct nri_cmd *cmd, u16 status, int err)
{
	u16 flags = NVME_RING_CQE_F_REJECTED;

	if (!cmd->slot_ok)
		flags |= NVME_RING_CQE_F_BAD_SLOT;
	cmd->bytes = 0;
	nri_cmd_complete(cmd, status, 0, err, flags);
}

/*
 * Take one descriptor and send it to the device, or reject it. Returns
 * -EAGAIN, leaving the descriptor where it is, when the device queue has
 * no room and either @nowait or the ring is polled (whose submitters do
 * not sleep for a tag: see nri_alloc_polled()).
 */
static int nri_issue(struct nri_queue *nq, struct nri_cmd *cmd, u64 desc,
		     bool nowait, const struct nri_batch *b)
{
	struct nri_ring *ring = nq->ring;
	unsigned int flags = 0;
	/* all of it copied from the ring below: no clearing per command */
	struct nvme_ring_slot s __uninitialized;
	u16 status;
	int err;

	cmd->slot = desc;
	cmd->ioucmd = NULL;
	cmd->slot_ok = !(desc & (NVME_RING_SLOT_SIZE - 1)) &&
		       desc <= nq->layout.data_size - NVME_RING_SLOT_SIZE;
	if (!cmd->slot_ok) {
		nri_warn(ring, "queue %u: descriptor 0x%llx is not a slot in the %llu-byte data area\n",
			 nq->idx, desc, nq->layout.data_size);
		trace_nvme_ring_io_reject(dev_name(&ring->dev), nq->idx, desc, 0,
					  NRI_SC_INVALID_FIELD, -EFAULT,
					  "the descriptor is not a slot in the data area");
		nri_reject(cmd, NRI_SC_INVALID_FIELD, -EFAULT);
		return 0;
	}

	/* one snapshot: the client may scribble on the slot meanwhile */
	nri_copy_once(&s, nq->data + desc, sizeof(s));

	if (nowait)
		flags |= NRI_ISSUE_NOWAIT;
	if (ring->tgt.poll)
		flags |= NRI_ISSUE_POLLED;
	switch (nri_cmd_issue(nq, cmd, &s, flags, b, &status, &err)) {
	case NRI_ISSUED:
		return 0;
	case NRI_BUSY:
		return -EAGAIN;
	case NRI_REJECTED:
		nri_reject(cmd, status, err);
		return 0;
	case NRI_FAILED:
	default:
		nri_cmd_complete(cmd, status, 0, err, 0);
		return 0;
	}
}

#define NRI_POLL_HCTX	4

/* Poll @rq's hardware context once; completions are ended in a batch. */
static int nri_poll_rq(struct request *rq)
{
	DEFINE_IO_COMP_BATCH(iob);
	int ret;

	ret = blk_rq_poll(rq, &iob, BLK_POLL_ONESHOT);
	if (!nri_iob_empty(&iob))
		iob.complete(&iob);
	return ret > 0 ? ret : 0;
}

/*
 * Polled rings get no interrupts: reap completions by polling, once, each
 * hardware context that has one of the queue's commands in flight. Any
 * context that may sleep; concurrent pollers are fine (the driver
 * serialises on its completion queue). A request pointer read here may
 * belong to a command completing meanwhile. Requests are preallocated with
 * the queue and freed only once it is frozen (an elevator switch, a new
 * number of hardware queues), which our hold on its usage count prevents
 * (nri_target_hold()); so the worst case is one poll of a context with
 * nothing of ours, and blk_rq_poll() ignores a request no longer polled.
 *
 * A queue whose CPUs are all served by one poll context (the usual case)
 * polls it through the newest command still in flight, found from the
 * last one issued backwards; one spanning several contexts looks at every
 * command.
 */
int __nri_poll_completions(struct nri_queue *nq)
{
	struct blk_mq_hw_ctx *polled[NRI_POLL_HCTX];
	int n = 0, found = 0, j;
	u32 i, idx;

	if (!nq->ring->tgt.poll || !READ_ONCE(nq->inflight) ||
	    !nri_target_hold(nq->ring))
		return 0;
	if (nq->nr_hw_queues == 1) {
		idx = READ_ONCE(nq->poll_hint);
		for (i = 0; i < nq->nr_cmds; i++) {
			struct request *rq = READ_ONCE(nri_cmd_at(nq, idx)->rq);

			if (rq) {
				found = nri_poll_rq(rq);
				break;
			}
			idx = idx ? idx - 1 : nq->nr_cmds - 1;
		}
		nri_target_unhold(nq->ring);
		return found;
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
	nri_target_unhold(nq->ring);
	return found;
}

/*
 * The same, from anywhere but teardown: inside the live gate, as the
 * requests belong to the namespace the gate keeps.
 */
int nri_poll_completions(struct nri_queue *nq)
{
	int found;

	if (!nq->ring->tgt.poll || !nri_ring_enter(nq->ring))
		return 0;
	found = __nri_poll_completions(nq);
	nri_ring_exit(nq->ring);
	return found;
}

/* Return taken commands that were not used (nor counted), as if never taken. */
void nri_cmd_unget(struct nri_queue *nq, struct nri_cmd **cmds, int n)
{
	int i;

	spin_lock_irq(&nq->cq_lock);
	for (i = 0; i < n; i++)
		nq->free_cmds[nq->nr_free++] = cmds[i]->idx;
	nq->inflight -= n;
	atomic_sub(n, &nq->reserved);
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
		nri_warn(ring, "queue %u: CQ consumer %u is ahead of producer %u\n",
			 nq->idx, cons, nq->rings.cq_tail);
		return ret;
	}
	room = ret > nq->inflight ? ret - nq->inflight : 0;
	n = min3(want, room, nq->nr_free);
	if (n < want) {
		nq->stats.cq_full_events++;
		trace_nvme_ring_io_cq_full(dev_name(&ring->dev), nq->idx,
					   nri_cq_entries(&nq->rings) - ret,
					   nq->inflight);
	}
	for (i = 0; i < n; i++) {
		cmds[i] = nri_cmd_at(nq, nq->free_cmds[--nq->nr_free]);
		cmds[i]->issued = false;
	}
	nq->inflight += n;
	atomic_add(n, &nq->reserved);
	spin_unlock_irq(&nq->cq_lock);
	return n;
}

#define NRI_BATCH	32

/*
 * A batch's path, taken and checked against the ring's geometry once (a
 * format or resize is then noticed a batch later, not a command later),
 * and its start time, one clock read for all. Without a usable path each
 * command looks for one itself, and says what it found.
 */
static void nri_batch_begin(struct nri_ring *ring, struct nri_batch *b)
{
	b->now_ns = ktime_get_ns();
	b->path = nri_path_get(ring);
	if (b->path && unlikely(nri_target_changed(ring, b->path))) {
		nri_path_put(b->path);
		b->path = NULL;
	}
}

static void nri_batch_end(struct nri_batch *b)
{
	if (b->path)
		nri_path_put(b->path);
}

/*
 * Consume up to @max (0: all) pending descriptors; the caller holds sq_lock.
 * With @nowait nothing sleeps: it stops early when the device queue is full,
 * as a polled ring's submission does after reaping for a while.
 */
int nri_submit_locked(struct nri_queue *nq, u32 max, bool nowait)
{
	struct nri_ring *ring = nq->ring;
	struct nri_cmd *cmds[NRI_BATCH];
	struct nri_batch b;
	struct blk_plug plug;
	u32 prod, pending, done = 0;
	int n = 0, i, ret;

	lockdep_assert_held(&nq->sq_lock);
	if (!nri_ring_live(ring))
		return -ENODEV;

	ret = nri_sq_peek(&nq->rings, &prod);
	if (ret < 0) {
		nri_warn(ring, "queue %u: SQ producer %u runs %u ahead of consumer %u (%u entries)\n",
			 nq->idx, prod, prod - nq->rings.sq_head,
			 nq->rings.sq_head, nri_sq_entries(&nq->rings));
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
		nri_batch_begin(ring, &b);
		for (i = 0; i < n; i++) {
			u64 desc = nri_sq_desc(&nq->rings, i);

			if (nri_issue(nq, cmds[i], desc, nowait, &b)) {
				nri_cmd_unget(nq, cmds + i, n - i);
				n = -EAGAIN;
				break;
			}
		}
		nri_batch_end(&b);
		nri_sq_release(&nq->rings, i);
		done += i;
		if (n < 0)
			break;
	}
	blk_finish_plug(&plug);
	/* a polled ring reaps what is already done while it is here */
	if (ring->tgt.poll)
		__nri_poll_completions(nq);
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
static int __nri_submit(struct nri_queue *nq, u32 max)
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
		nri_warn(nq->ring, "queue %u: none of its CPUs is online\n",
			 nq->idx);
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

int nri_submit(struct nri_queue *nq, u32 max)
{
	int ret;

	if (!nri_ring_enter(nq->ring))
		return -ENODEV;
	ret = __nri_submit(nq, max);
	nri_ring_exit(nq->ring);
	return ret;
}

/*
 * The same from io_uring's inline issue: nothing may sleep, so a busy queue
 * or a caller outside the queue's CPUs gets -EAGAIN and io_uring retries
 * from its worker, where nri_submit() may sleep.
 */
int nri_submit_nowait(struct nri_queue *nq, u32 max)
{
	int ret = -EAGAIN;

	if (!nri_ring_enter(nq->ring))
		return -ENODEV;
	if (nq->poller) {
		nri_poller_kick(nq);
		ret = 0;
	} else if (cpumask_subset(current->cpus_ptr, nq->cpus) &&
		   mutex_trylock(&nq->sq_lock)) {
		ret = nri_submit_locked(nq, max, true);
		mutex_unlock(&nq->sq_lock);
	}
	nri_ring_exit(nq->ring);
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
		nri_warn(nq->ring, "queue %u: min_complete %u exceeds the %u-entry CQ\n",
			 nq->idx, min, nri_cq_entries(&nq->rings));
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
