// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the optional SQ poller, one kernel thread per queue, bound
 * to the queue's CPUs, in the manner of IORING_SETUP_SQPOLL; or, with the
 * ring's sq_poll_cpus, each to one CPU of that list (queue i to its
 * (i mod n)-th CPU), as IORING_SETUP_SQ_AFF's sq_thread_cpu does, so that
 * the poller does not take CPU time from the clients. Its commands then go
 * to the hardware queue of the poller's CPU, as io_uring's do.
 *
 * The thread consumes the SQ as SUBMIT would. After sq_poll_idle_ms with
 * nothing to do it sets NVME_RING_FLAG_NEED_WAKEUP in sq.flags and sleeps;
 * SUBMIT (or URING_KICK) wakes it. Lost wakeups are ruled out by a full
 * barrier on each side:
 *
 *   poller: set NEED_WAKEUP; smp_mb() (E); load sq.producer; sleep if idle
 *   client: store sq.producer; full fence (E); load sq.flags; kick if set
 *
 * so either the poller sees the new entries or the client sees the flag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/sched.h>

#include "nri.h"
#include "nri_trace.h"

/*
 * Nothing the poller can take: every free CQ entry is promised to a
 * command in flight, or no command is free. The client makes room by
 * consuming completions, and kicks the poller when it does (libnvmering's
 * nvmering_cq_advance()); until then there is no reason to spin.
 */
static bool nri_poller_blocked(struct nri_queue *nq)
{
	bool blocked;
	u32 cons;
	int room;

	spin_lock_irq(&nq->cq_lock);
	room = nri_cq_room(&nq->rings, &cons);
	blocked = room <= (int)nq->inflight || !nq->nr_free;
	spin_unlock_irq(&nq->cq_lock);
	return blocked;
}

static int nri_poller_fn(void *data)
{
	struct nri_queue *nq = data;
	unsigned long idle = msecs_to_jiffies(nq->ring->cfg->sq_poll_idle_ms);
	unsigned long last = jiffies;
	int n;

	while (!kthread_should_stop()) {
		n = 0;
		if (nri_sq_pending(&nq->rings) || !nri_ring_live(nq->ring)) {
			mutex_lock(&nq->sq_lock);
			n = nri_submit_locked(nq, 0, false);
			mutex_unlock(&nq->sq_lock);
			/* no free tag for a polled command yet: try again */
			if (n == -EAGAIN)
				n = 0;
		}
		/* polled ring: this thread is what completes commands */
		if (nri_poll_completions(nq) > 0)
			n = 1;
		if (n > 0) {
			last = jiffies;
			cond_resched();
			continue;
		}
		if (READ_ONCE(nq->inflight) && nq->ring->tgt.poll) {
			cond_resched();
			continue;
		}
		if (n < 0 && n != -EINVAL)
			break;		/* the ring is going away */
		if (time_before(jiffies, last + idle) && n == 0) {
			cond_resched();
			continue;
		}

		/* idle, blocked on a full CQ, or corrupt indices: sleep */
		nri_sq_set_need_wakeup(&nq->rings);		/* (E) */
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop() &&
		    (n < 0 || !nri_sq_pending(&nq->rings) ||
		     nri_poller_blocked(nq))) {
			trace_nvme_ring_io_sq_poll_sleep(dev_name(&nq->ring->dev),
							 nq->idx);
			schedule();
			trace_nvme_ring_io_sq_poll_wake(dev_name(&nq->ring->dev),
							nq->idx);
		}
		__set_current_state(TASK_RUNNING);
		nri_sq_clear_need_wakeup(&nq->rings);
		last = jiffies;
	}

	/* wait to be stopped: kthread_stop() needs the thread to exist */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * The CPUs queue @nq's poller runs on: the one CPU the ring's sq_poll_cpus
 * gives it (the (idx mod n)-th of the list), or the queue's own.
 */
const struct cpumask *nri_poller_cpus(const struct nri_queue *nq)
{
	const struct cpumask *m = &nq->ring->cfg->sq_poll_cpus;

	if (cpumask_empty(m))
		return nq->cpus;
	return cpumask_of(cpumask_nth(nq->idx % cpumask_weight(m), m));
}

int nri_poller_start(struct nri_queue *nq)
{
	struct task_struct *t;
	const struct cpumask *where;
	int ret;

	t = kthread_create_on_node(nri_poller_fn, nq, nq->ring->numa_node,
				   "nri_sqp/%s/%u", dev_name(&nq->ring->dev),
				   nq->idx);
	if (IS_ERR(t)) {
		pr_err("%s: queue %u: cannot start the SQ poller: error %ld\n",
		       dev_name(&nq->ring->dev), nq->idx, PTR_ERR(t));
		return PTR_ERR(t);
	}
	where = nri_poller_cpus(nq);
	ret = set_cpus_allowed_ptr(t, where);
	if (ret) {
		pr_err("%s: queue %u: cannot bind the SQ poller to CPUs %*pbl: error %d\n",
		       dev_name(&nq->ring->dev), nq->idx,
		       cpumask_pr_args(where), ret);
		kthread_stop(t);
		return ret;
	}
	/*
	 * What kthread_bind_mask() (not exported) adds: nobody moves the
	 * thread off its CPUs. It has not run yet, so the flags are still
	 * ours to set.
	 */
	t->flags |= PF_NO_SETAFFINITY;
	nq->poller = t;
	wake_up_process(t);
	return 0;
}

void nri_poller_stop(struct nri_queue *nq)
{
	if (!nq->poller)
		return;
	kthread_stop(nq->poller);
	nq->poller = NULL;
	nri_sq_clear_need_wakeup(&nq->rings);
}

void nri_poller_kick(struct nri_queue *nq)
{
	struct task_struct *t = READ_ONCE(nq->poller);

	if (t)
		wake_up_process(t);
}
