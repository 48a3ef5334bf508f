// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: io_uring commands on a ring's file (file_operations
 * .uring_cmd).
 *
 *   NVME_RING_IO_URING_KICK     consume the SQ, like NVME_RING_IO_SUBMIT
 *   NVME_RING_IO_URING_WAIT_CQ  complete when the CQ holds enough entries
 *   NVME_RING_IO_URING_CMD      one NVMe command carried in the SQE
 *
 * Every command completes exactly once: WAIT_CQ waiters sit on the queue's
 * uring_waiters list under cq_lock, and whoever takes one off the list (the
 * completion path, cancellation, or teardown) completes it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>

#include "nri.h"

#if NRI_HAVE_URING_CMD
#include <linux/io_uring/cmd.h>

/* Per-command state kept in io_uring's pdu. */
struct nri_uring_pdu {
	union {
		struct {		/* WAIT_CQ */
			struct list_head node;	/* on uring_waiters */
			struct nri_queue *nq;
			u32 min;
			int wait_ret;
		};
		struct {		/* URING_CMD */
			struct nri_cmd *cmd;	/* in flight; for iopoll */
			u64 result;		/* after completion */
			int ret;
		};
	};
};

static struct nri_uring_pdu *nri_pdu(struct io_uring_cmd *ioucmd)
{
	return io_uring_cmd_to_pdu(ioucmd, struct nri_uring_pdu);
}

static struct io_uring_cmd *nri_pdu_cmd(struct nri_uring_pdu *pdu)
{
	return container_of((void *)pdu, struct io_uring_cmd, pdu);
}

/* ---- WAIT_CQ ---- */

static void nri_wait_done_cb(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags)
{
	io_uring_cmd_done(ioucmd, nri_pdu(ioucmd)->wait_ret, 0, issue_flags);
}

/*
 * Take waiters off the list (all, with @err, or those whose condition
 * holds, with the count ready) into @b; cq_lock held. A waiter off the
 * list (node empty) belongs to whoever took it; cancellation leaves it
 * alone. There are at most NRI_MAX_URING_WAITERS, so this is bounded work
 * in the completion interrupt, and @b holds them all.
 */
void nri_uring_collect(struct nri_queue *nq, bool all, int err,
		       struct nri_uring_batch *b)
{
	struct nri_uring_pdu *pdu, *tmp;
	u32 ready = nri_cq_ready(&nq->rings);

	lockdep_assert_held(&nq->cq_lock);
	b->n = 0;
	list_for_each_entry_safe(pdu, tmp, &nq->uring_waiters, node) {
		if (!all && ready < pdu->min)
			continue;
		list_del_init(&pdu->node);
		nq->nr_uring_waiters--;
		pdu->wait_ret = all ? err : ready;
		b->cmds[b->n++] = nri_pdu_cmd(pdu);
	}
}

/*
 * Complete what nri_uring_collect() took, after cq_lock is dropped. It
 * touches only the io_uring commands, not the queue, which teardown may
 * free as soon as the lock is released. Any context, including hard IRQ.
 */
void nri_uring_finish(struct nri_uring_batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		io_uring_cmd_complete_in_task(b->cmds[i], nri_wait_done_cb);
}

/* Complete every waiter with @err: the ring is going away. */
void nri_uring_cancel_all(struct nri_queue *nq, int err)
{
	struct nri_uring_batch b;

	spin_lock_irq(&nq->cq_lock);
	nri_uring_collect(nq, true, err, &b);
	spin_unlock_irq(&nq->cq_lock);
	nri_uring_finish(&b);
}

/* IO_URING_F_CANCEL: the io_uring is exiting; only waiters are cancelable. */
static void nri_uring_cancel(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags)
{
	struct nri_uring_pdu *pdu = nri_pdu(ioucmd);
	struct nri_queue *nq = pdu->nq;
	bool mine = false;

	spin_lock_irq(&nq->cq_lock);
	if (!list_empty(&pdu->node)) {
		list_del_init(&pdu->node);
		nq->nr_uring_waiters--;
		mine = true;
	}
	spin_unlock_irq(&nq->cq_lock);

	/* otherwise a completion already took it off and will finish it */
	if (mine)
		io_uring_cmd_done(ioucmd, -ECANCELED, 0, issue_flags);
}

static int nri_uring_wait_cq(struct nri_queue *nq, struct io_uring_cmd *ioucmd,
			     const struct nvme_ring_uring_wait *w,
			     unsigned int issue_flags)
{
	struct nri_uring_pdu *pdu = nri_pdu(ioucmd);
	u32 min = READ_ONCE(w->min_complete);
	u32 ready;
	int ret;

	if (READ_ONCE(w->flags) || READ_ONCE(w->resv))
		return -EINVAL;
	/* a sleeping wait has no place in an IOPOLL ring's polling loop */
	if (issue_flags & IO_URING_F_IOPOLL)
		return -EOPNOTSUPP;
	if (!min)
		min = 1;
	if (min > nri_cq_entries(&nq->rings))
		return -EINVAL;
	/* nothing would reap a polled ring's completions while we wait */
	if (nq->ring->tgt.poll && !nq->poller)
		return -EOPNOTSUPP;
	if (!nri_ring_live(nq->ring))
		return -ENODEV;
	ready = nri_cq_ready(&nq->rings);
	if (ready >= min)
		return ready;

	pdu->nq = nq;
	pdu->min = min;
	INIT_LIST_HEAD(&pdu->node);
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);

	spin_lock_irq(&nq->cq_lock);
	ret = nri_cq_ready(&nq->rings);
	if (ret < min) {
		if (nq->nr_uring_waiters < NRI_MAX_URING_WAITERS) {
			list_add_tail(&pdu->node, &nq->uring_waiters);
			nq->nr_uring_waiters++;
			ret = -EIOCBQUEUED;
		} else {
			ret = -EBUSY;
		}
	}
	spin_unlock_irq(&nq->cq_lock);
	if (ret != -EIOCBQUEUED) {
		/* ready meanwhile, or too many waiters: marked, so finish it */
		if (ret == -EBUSY)
			nri_warn(nq->ring, "queue %u: URING_WAIT_CQ refused: %u waiters already\n",
				 nq->idx, NRI_MAX_URING_WAITERS);
		io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
		return -EIOCBQUEUED;
	}
	/* teardown may have run between the check and the list_add */
	if (!nri_ring_live(nq->ring))
		nri_uring_cancel_all(nq, -ENODEV);
	return -EIOCBQUEUED;
}

/* ---- URING_CMD: one NVMe command in the SQE ---- */

static void nri_uring_cmd_done_cb(struct io_uring_cmd *ioucmd,
				  unsigned int issue_flags)
{
	struct nri_uring_pdu *pdu = nri_pdu(ioucmd);

	io_uring_cmd_done(ioucmd, pdu->ret, pdu->result, issue_flags);
}

/* From the request's end_io (hard IRQ): hand the result to the task. */
void nri_uring_cmd_end(struct nri_cmd *cmd, u16 status, u64 result, int err)
{
	struct io_uring_cmd *ioucmd = cmd->ioucmd;
	struct nri_uring_pdu *pdu = nri_pdu(ioucmd);

	pdu->cmd = NULL;
	pdu->result = result;
	pdu->ret = status ? status : err;
	nri_cmd_put(cmd, status, err, false);
	io_uring_cmd_do_in_task_lazy(ioucmd, nri_uring_cmd_done_cb);
}

static int nri_uring_cmd_io(struct nri_queue *nq, struct io_uring_cmd *ioucmd,
			    const struct nvme_ring_uring_cmd *uc,
			    unsigned int issue_flags)
{
	struct nri_uring_pdu *pdu = nri_pdu(ioucmd);
	struct nri_ring *ring = nq->ring;
	struct nvme_ring_slot s = { };
	unsigned int flags = 0;
	u32 uflags;
	struct nri_cmd *cmd;
	u16 status;
	int err;

	if (!(issue_flags & IO_URING_F_SQE128) ||
	    !(issue_flags & IO_URING_F_CQE32))
		return -EINVAL;
	nri_copy_once(s.cmd, uc->cmd, sizeof(s.cmd));
	s.data_off = READ_ONCE(uc->data_off);
	s.data_len = READ_ONCE(uc->data_len);
	uflags = READ_ONCE(uc->flags);
	if (uflags & ~NVME_RING_URING_CMD_F_META)
		return -EINVAL;
	if (uflags & NVME_RING_URING_CMD_F_META) {
		/* an offset into the data area, never a pointer */
		struct nvme_common_command *c = (void *)s.cmd;

		s.meta_off = le64_to_cpu(c->metadata);
		c->metadata = 0;
		s.meta_len = nri_cmd_meta_len(&ring->tgt, c);
	}
	if (!nri_ring_live(ring))
		return -ENODEV;
	/*
	 * A polled ring's commands go to its poll queues, where nothing but
	 * polling completes them: here that is io_uring's IOPOLL.
	 */
	if (ring->tgt.poll) {
		if (!(issue_flags & IO_URING_F_IOPOLL)) {
			nri_warn(ring, "queue %u: a polled ring takes io_uring commands only from an IORING_SETUP_IOPOLL ring\n",
				 nq->idx);
			return -EOPNOTSUPP;
		}
		flags |= NRI_ISSUE_POLLED;
	}
	if (issue_flags & IO_URING_F_NONBLOCK)
		flags |= NRI_ISSUE_NOWAIT;

	/* every command of the queue in flight: nri_uring_cmd() waits */
	cmd = nri_cmd_get(nq);
	if (!cmd)
		return -ENOSPC;
	cmd->slot = 0;
	cmd->slot_ok = false;
	cmd->ioucmd = ioucmd;
	pdu->cmd = cmd;

	switch (nri_cmd_issue(nq, cmd, &s, flags, NULL, &status, &err)) {
	case NRI_ISSUED:
		return -EIOCBQUEUED;
	case NRI_BUSY:
		cmd->ioucmd = NULL;
		nri_cmd_unget(nq, &cmd, 1);
		return -EAGAIN;
	case NRI_REJECTED:
		nri_cmd_put(cmd, status, err, true);
		return err;
	case NRI_FAILED:
	default:
		nri_cmd_put(cmd, status, err, false);
		return err == -EWOULDBLOCK ? -EAGAIN : err;
	}
}

/*
 * .uring_cmd_iopoll: io_uring's IOPOLL reaping one of our commands. Only
 * URING_CMD has a request to poll; the command it points at may have
 * completed and been reused meanwhile, which costs one poll of a context
 * of this queue.
 */
int nri_uring_cmd_iopoll(struct io_uring_cmd *ioucmd,
			 struct io_comp_batch *iob, unsigned int poll_flags)
{
	struct nri_queue *nq;
	struct nri_cmd *cmd;
	struct request *rq;
	int ret = 0;

	if (ioucmd->cmd_op != NVME_RING_IO_URING_CMD)
		return 0;
	cmd = READ_ONCE(nri_pdu(ioucmd)->cmd);
	if (!cmd)
		return 0;
	/* the request is the namespace's: poll it inside the live gate */
	nq = cmd->nq;
	if (!nri_ring_enter(nq->ring))
		return 0;
	/* only a polled ring's requests are polled, and its path is fixed */
	if (nq->ring->tgt.poll && nri_target_hold(nq->ring)) {
		rq = READ_ONCE(cmd->rq);
		if (rq && blk_rq_is_poll(rq))
			ret = blk_rq_poll(rq, iob, poll_flags);
		nri_target_unhold(nq->ring);
	}
	nri_ring_exit(nq->ring);
	return ret;
}

/*
 * Before the submitter waits by polling: the requests it holds in its plug
 * (io_uring plugs a batch of SQEs) have not reached the device and would
 * never complete. Send them, and leave the rest of the batch unplugged.
 */
static void nri_uring_unplug(void)
{
	if (current->plug)
		blk_finish_plug(current->plug);
}

/*
 * Wait up to a second for a free command, or for the ring to go: 0, or
 * -EINTR on a signal. A polled ring's commands complete only when polled,
 * so its waiter polls them. In io-wq any signal ends the wait; in the
 * submitter's own task only a fatal one (NRI_URING_RETRY_REREADS_SQ), as
 * io_uring flags task work there as a signal, the completions of this
 * very ring's commands among it.
 */
static int nri_uring_wait_free(struct nri_queue *nq, unsigned int issue_flags)
{
	unsigned long end = jiffies + HZ;
	long ret;

	if (nq->ring->tgt.poll) {
		nri_uring_unplug();
		while (!READ_ONCE(nq->nr_free) && nri_ring_live(nq->ring) &&
		       time_before(jiffies, end)) {
			if (!nri_poll_completions(nq))
				cond_resched();
			if (fatal_signal_pending(current))
				return -EINTR;
		}
		return 0;
	}
	if (issue_flags & IO_URING_F_IOWQ)
		ret = wait_event_interruptible_timeout(nq->wait,
						       READ_ONCE(nq->nr_free) ||
						       !nri_ring_live(nq->ring),
						       HZ);
	else
		ret = wait_event_killable_timeout(nq->wait,
						  READ_ONCE(nq->nr_free) ||
						  !nri_ring_live(nq->ring), HZ);
	return ret < 0 ? -EINTR : 0;
}

/* ---- dispatch ---- */

static int __nri_uring_cmd(struct io_uring_cmd *ioucmd,
			   unsigned int issue_flags)
{
	const void *payload = io_uring_sqe_cmd(ioucmd->sqe);
	struct nri_queue *nq;
	int ret;

	nq = nri_file_to_queue(ioucmd->file);
	if (!nq)
		return -ENXIO;

	switch (ioucmd->cmd_op) {
	case NVME_RING_IO_URING_KICK: {
		const struct nvme_ring_uring_kick *k = payload;

		ret = nri_file_may_write(ioucmd->file, nq->ring, "URING_KICK");
		if (ret)
			return ret;

		if (READ_ONCE(k->flags) || READ_ONCE(k->resv))
			return -EINVAL;
		if (issue_flags & IO_URING_F_NONBLOCK)
			ret = nri_submit_nowait(nq, READ_ONCE(k->max_submit));
		else
			ret = nri_submit(nq, READ_ONCE(k->max_submit));
		return ret;
	}
	case NVME_RING_IO_URING_WAIT_CQ:
		return nri_uring_wait_cq(nq, ioucmd, payload, issue_flags);
	case NVME_RING_IO_URING_CMD:
		ret = nri_file_may_write(ioucmd->file, nq->ring, "URING_CMD");
		if (ret)
			return ret;
		for (;;) {
			if (!nri_ring_enter(nq->ring))
				return -ENODEV;
			ret = nri_uring_cmd_io(nq, ioucmd, payload, issue_flags);
			nri_ring_exit(nq->ring);
			/*
			 * A polled ring that found no tag after reaping for
			 * one: io-wq would try again, so does the submitter.
			 */
			if (ret == -EAGAIN && NRI_URING_RETRY_REREADS_SQ &&
			    nq->ring->tgt.poll) {
				if (fatal_signal_pending(current))
					return -EINTR;
				nri_uring_unplug();
				cond_resched();
				continue;
			}
			if (ret != -ENOSPC)
				return ret;
			/* io_uring retries it where it may block (io-wq) */
			if (issue_flags & IO_URING_F_NONBLOCK)
				return -EAGAIN;
			/*
			 * More commands than the queue has: wait for one to
			 * complete, as a submitter waits for a tag, outside
			 * the live gate (disabling wakes us).
			 */
			if (nri_uring_wait_free(nq, issue_flags))
				return -EINTR;
		}
	default:
		return -ENOTTY;
	}
}

int nri_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	int ret;

	if (unlikely(issue_flags & IO_URING_F_CANCEL)) {
		nri_uring_cancel(ioucmd, issue_flags);
		return 0;
	}
	if (!NRI_URING_RETRY_REREADS_SQ)
		return __nri_uring_cmd(ioucmd, issue_flags);

	/*
	 * io-wq's retry would read a reused SQ slot: wait here instead, and
	 * what is still -EAGAIN (a KICK that found the device queue full and
	 * took nothing, as SUBMIT says) is the command's result, not a retry.
	 */
	ret = __nri_uring_cmd(ioucmd, issue_flags & ~IO_URING_F_NONBLOCK);
	if (ret != -EAGAIN)
		return ret;
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}

#else /* !NRI_HAVE_URING_CMD */

/*
 * A kernel whose io_uring lacks what the commands need: the ring file has
 * no .uring_cmd, so no command ever reaches the module, and nothing waits.
 */
void nri_uring_collect(struct nri_queue *nq, bool all, int err,
		       struct nri_uring_batch *b)
{
	b->n = 0;
}

void nri_uring_finish(struct nri_uring_batch *b)
{
}

void nri_uring_cancel_all(struct nri_queue *nq, int err)
{
}

void nri_uring_cmd_end(struct nri_cmd *cmd, u16 status, u64 result, int err)
{
}

#endif /* NRI_HAVE_URING_CMD */
