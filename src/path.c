// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the paths of a ring bound to a multipath head.
 *
 * A ring on a multipath head sends every command through one of the
 * head's paths at a time: the best usable one by the head's ANA state and
 * iopolicy (nri_nvme_best_path()), its first controller preferred among
 * equals. The path changes when
 *
 * - it fails: a submitter finds its namespace gone or its queue dying, or a
 *   command comes back with a path error; those commands are sent again on
 *   the new path (at most NRI_MAX_RETRIES times each), as the driver's own
 *   multipath does for its bios; an ANA status takes the path out of use
 *   until the driver has read the ANA log again (nri_nvme_path_failed());
 * - a better one appears, found by a check every NRI_PATH_CHECK: an
 *   optimized path after a non-optimized one, a nearer controller under
 *   the numa iopolicy, the first controller back after a rescan.
 *
 * With no usable path, while a controller of the head is resetting or
 * reconnecting, the failed commands wait for a path (as the driver holds
 * a head's bios); with none that may come back the ring is dead, and what
 * is in flight or waiting completes with a path error.
 *
 * A change publishes the new path, then kills the old one's reference:
 * submitters never take a reference on a path being left, and the last of
 * its commands to complete frees it (target.c). Polled rings keep the
 * path they were bound with: their completions are reaped through it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/list.h>
#include <linux/workqueue.h>

#include "nri.h"
#include "nri_trace.h"

#define NRI_PATH_CHECK	HZ
#define NRI_PATH_RETRY	(HZ / 10)	/* while waiting for a path */

/* Which hardware contexts of @p's queue serve each queue's CPUs. */
static void nri_path_map_queues(struct nri_ring *ring, struct nri_path *p)
{
	unsigned int i, cpu;

	for (i = 0; i < ring->nr_queues; i++) {
		struct nri_queue *nq = ring->queues[i];

		bitmap_zero(nq->hctxs, NRI_MAX_HCTX);
		for_each_cpu(cpu, nq->cpus) {
			int hc = nri_target_hctx_of_cpu(&ring->tgt, p, cpu);

			if (hc >= 0 && hc < NRI_MAX_HCTX)
				__set_bit(hc, nq->hctxs);
		}
		nq->nr_hw_queues = bitmap_weight(nq->hctxs, NRI_MAX_HCTX);
	}
}

/* Whether @ns has the format and size the ring was bound to. */
static bool nri_path_fits(struct nri_ring *ring, struct nvme_ns *ns,
			  struct nri_ns_info *info)
{
	struct nri_target *t = &ring->tgt;

	nri_nvme_describe_ns(ns, info);
	if (nri_target_fits(t, info))
		return true;
	pr_warn("%s: namespace %u through %s: %u-byte blocks + %u bytes of metadata, PI type %u, %llu sectors, not what the ring was bound to: path not used\n",
		dev_name(&ring->dev), t->nsid, nri_nvme_ctrl_name(ns),
		1U << info->lba_shift, info->ms, info->pi_type,
		info->disk_sectors);
	return false;
}

/*
 * Move a head's ring to the best usable path. @failed is the path a caller
 * saw fail (nothing happens when the ring has left it already), or NULL to
 * look for a better one. Returns 0 when the ring has a usable path
 * (maybe the one it had); otherwise -ENODEV, having marked the ring dead
 * if nothing is usable, or another error when the failed path could not
 * be left.
 */
int nri_path_switch(struct nri_ring *ring, struct nri_path *failed)
{
	struct nri_target *t = &ring->tgt;
	struct nri_path *cur, *np;
	struct nri_ns_info info;
	struct nvme_ns *ns;
	bool lost;

	if (!t->head || t->poll)
		return -ENODEV;
	mutex_lock(&ring->path_lock);
	cur = rcu_dereference_protected(t->path,
					lockdep_is_held(&ring->path_lock));
	if (!cur || (failed && cur != failed)) {
		mutex_unlock(&ring->path_lock);
		return cur ? 0 : -ENODEV;
	}
	lost = failed || !nri_nvme_path_usable(cur->ns);
	ns = nri_nvme_best_path(cur->ns, ring->numa_node, t->home_cntlid);
	if (ns == cur->ns) {
		if (ring->path_waiting)
			pr_info("%s: namespace %u: the path through %s is usable again\n",
				dev_name(&ring->dev), t->nsid, cur->ctrl);
		ring->path_waiting = false;
		mutex_unlock(&ring->path_lock);
		nri_nvme_put_ns(ns);
		/* the driver still calls it usable: the command failed anyway */
		return lost ? -EIO : 0;
	}
	if (ns && !nri_path_fits(ring, ns, &info)) {
		nri_nvme_put_ns(ns);
		ns = NULL;
	}
	if (!ns && lost && nri_nvme_path_available(cur->ns)) {
		/* a controller resetting or reconnecting: its path may return */
		if (!ring->path_waiting)
			pr_warn("%s: namespace %u: no usable path (the path through %s failed): commands wait for one to come back\n",
				dev_name(&ring->dev), t->nsid, cur->ctrl);
		ring->path_waiting = true;
		mutex_unlock(&ring->path_lock);
		return -EAGAIN;
	}
	if (!ns) {
		mutex_unlock(&ring->path_lock);
		if (!lost)
			return 0;
		if (nri_mark_dead(ring))
			pr_err("%s: namespace %u: the path through %s is gone and the head has no other usable path: the ring is dead\n",
			       dev_name(&ring->dev), t->nsid, cur->ctrl);
		return -ENODEV;
	}
	np = nri_path_alloc(ns, info.q, info.cntlid);
	if (!np) {
		mutex_unlock(&ring->path_lock);
		nri_nvme_put_ns(ns);
		pr_err("%s: out of memory changing paths\n", dev_name(&ring->dev));
		return -ENOMEM;
	}
	rcu_assign_pointer(t->path, np);
	nri_path_map_queues(ring, np);
	ring->path_changes++;
	ring->path_waiting = false;
	mutex_unlock(&ring->path_lock);

	if (lost)
		pr_warn("%s: namespace %u: the path through %s failed: commands now go through %s\n",
			dev_name(&ring->dev), t->nsid, cur->ctrl, np->ctrl);
	else
		pr_info("%s: namespace %u: commands now go through %s, a better path than %s\n",
			dev_name(&ring->dev), t->nsid, np->ctrl, cur->ctrl);
	trace_nvme_ring_io_path(dev_name(&ring->dev), cur->ctrl, np->ctrl, lost);
	/* new references go to np from here; cur goes with its last command */
	nri_path_retire(cur);
	return 0;
}

/* End a command that cannot be sent again. */
static void nri_cmd_fail(struct nri_cmd *cmd, u16 status, int err)
{
	if (cmd->ioucmd)
		nri_uring_cmd_end(cmd, status, 0, err);
	else
		nri_cmd_complete(cmd, status, 0, err, 0);
}

/*
 * Keep @cmd, which failed on its path, to be sent again by the path work.
 * Hard IRQ, from its request's end_io. Its disk accounting ends here and
 * begins again when it is sent; its latency runs on.
 */
void nri_requeue(struct nri_cmd *cmd)
{
	struct nri_ring *ring = cmd->nq->ring;
	unsigned long flags;

	if (cmd->acct) {
		nri_end_io_acct(ring->tgt.acct_bdev, cmd->acct_op, 0,
				cmd->acct_start);
		cmd->acct = false;
	}
	cmd->retries++;
	spin_lock_irqsave(&ring->requeue_lock, flags);
	list_add_tail(&cmd->requeue, &ring->requeue_list);
	/*
	 * At once the first time (its path has probably gone), then a while
	 * later: the driver may not yet know what the device said. Under the
	 * lock: once the work has the command, the ring may go.
	 */
	mod_delayed_work(nri_wq, &ring->path_work,
			 cmd->retries > 1 ? NRI_PATH_RETRY : 0);
	spin_unlock_irqrestore(&ring->requeue_lock, flags);
}

static void nri_requeue_take(struct nri_ring *ring, struct list_head *list)
{
	spin_lock_irq(&ring->requeue_lock);
	list_splice_init(&ring->requeue_list, list);
	spin_unlock_irq(&ring->requeue_lock);
}

/* Every command waiting to be sent again completes with a path error. */
void nri_requeue_fail_all(struct nri_ring *ring)
{
	struct nri_cmd *cmd, *tmp;
	LIST_HEAD(list);

	nri_requeue_take(ring, &list);
	list_for_each_entry_safe(cmd, tmp, &list, requeue) {
		list_del_init(&cmd->requeue);
		nri_cmd_fail(cmd, NRI_SC_HOST_PATH, -ENODEV);
	}
}

/* Send a failed command again, from the snapshot it was first sent from. */
static void nri_cmd_resend(struct nri_cmd *cmd)
{
	struct nri_queue *nq = cmd->nq;
	struct nvme_ring_slot s;
	u16 status;
	int err;

	if (!nri_ring_live(nq->ring)) {
		nri_cmd_fail(cmd, NRI_SC_HOST_PATH, -ENODEV);
		return;
	}
	s = cmd->snap;
	switch (nri_cmd_issue(nq, cmd, &s, NRI_ISSUE_RETRY, NULL, &status, &err)) {
	case NRI_ISSUED:
		return;
	case NRI_BUSY:	/* only with NRI_ISSUE_NOWAIT or polled */
	case NRI_REJECTED:
	case NRI_FAILED:
	default:
		nri_cmd_fail(cmd, status ?: NRI_SC_HOST_PATH, err ?: -EIO);
		return;
	}
}

/*
 * A head's ring: every NRI_PATH_CHECK, and at once when a command failed
 * on its path, take the best path and send the failed commands again.
 */
void nri_path_work(struct work_struct *work)
{
	struct nri_ring *ring = container_of(to_delayed_work(work),
					     struct nri_ring, path_work);
	struct nri_cmd *cmd, *tmp;
	LIST_HEAD(list);

	unsigned long next = NRI_PATH_CHECK;

	if (!nri_ring_enter(ring)) {
		nri_requeue_fail_all(ring);
		return;
	}
	/* no usable path, but one may return: the commands wait for it */
	if (nri_ring_live(ring) && nri_path_switch(ring, NULL) == -EAGAIN) {
		next = NRI_PATH_RETRY;
		goto out;
	}
	nri_requeue_take(ring, &list);
	list_for_each_entry_safe(cmd, tmp, &list, requeue) {
		list_del_init(&cmd->requeue);
		nri_cmd_resend(cmd);
	}
out:
	if (nri_ring_live(ring))
		queue_delayed_work(nri_wq, &ring->path_work, next);
	nri_ring_exit(ring);
}
