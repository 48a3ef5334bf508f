// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: binding a ring to an NVMe namespace.
 *
 * A namespace is named by its block device (/dev/nvmeXnY) or its generic
 * character device (/dev/ngXnY). Either way we end up holding the open file
 * (so the device stays open) and a reference on the namespace (taken in
 * nvme_glue.c), whose request queue we allocate passthrough requests from.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "nri.h"

/* The last command on a path the ring has left is done. */
static void nri_path_free_work(struct work_struct *work)
{
	struct nri_path *p = container_of(work, struct nri_path, free_work);

	/* nri_path_get() may still be looking at it under RCU */
	synchronize_rcu();
	percpu_ref_exit(&p->ref);
	if (p->ns)
		nri_nvme_put_ns(p->ns);
	kfree(p);
}

/* May run in hard IRQ, from the completion that dropped the last use. */
static void nri_path_release(struct percpu_ref *ref)
{
	struct nri_path *p = container_of(ref, struct nri_path, ref);

	queue_work(nri_wq, &p->free_work);
}

/* A path on @ns, taking over the caller's namespace reference. */
struct nri_path *nri_path_alloc(struct nvme_ns *ns, struct request_queue *q,
				u16 cntlid)
{
	struct nri_path *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	if (percpu_ref_init(&p->ref, nri_path_release, 0, GFP_KERNEL)) {
		kfree(p);
		return NULL;
	}
	INIT_WORK(&p->free_work, nri_path_free_work);
	p->ns = ns;
	p->q = q;
	p->cntlid = cntlid;
	strscpy(p->ctrl, nri_nvme_ctrl_name(ns), sizeof(p->ctrl));
	return p;
}

/* Let go of a path: it goes once its commands are done. */
void nri_path_retire(struct nri_path *p)
{
	percpu_ref_kill(&p->ref);
}

/*
 * The ring's path, with a reference, for one command; NULL when the ring
 * has none. A path being left refuses new references, and by then its
 * successor is in place.
 */
struct nri_path *nri_path_get(struct nri_ring *ring)
{
	struct nri_path *p;

	rcu_read_lock();
	for (;;) {
		p = rcu_dereference(ring->tgt.path);
		if (!p || percpu_ref_tryget_live(&p->ref))
			break;
		/* the switch publishes the new path before it kills the old */
		cpu_relax();
	}
	rcu_read_unlock();
	return p;
}

/*
 * Open the namespace at @path, or use the caller's open file @f. On success
 * the target holds a file reference and a namespace reference: for a
 * multipath head, of the path chosen for NUMA node @node.
 */
int nri_target_open(struct nri_target *t, const char *path, struct file *f,
		    int node)
{
	struct nri_ns_info info;
	struct request_queue *q;
	struct nri_path *p;
	struct nvme_ns *ns;
	u32 max_bytes, segs;
	int ret;

	memset(t, 0, sizeof(*t));
	if (f) {
		get_file(f);
		path = "nvme_fd";
	} else {
		f = filp_open(path, O_RDWR | O_LARGEFILE, 0);
		if (IS_ERR(f)) {
			ret = PTR_ERR(f);
			pr_err("device: cannot open %s: error %d\n", path, ret);
			return ret;
		}
	}

	ns = nri_nvme_get_ns(f, path, node, &info);
	if (IS_ERR(ns)) {
		ret = PTR_ERR(ns);
		goto out_fput;
	}

	q = info.q;
	p = nri_path_alloc(ns, q, info.cntlid);
	if (!p) {
		ret = -ENOMEM;
		nri_nvme_put_ns(ns);
		goto out_fput;
	}
	t->file = f;
	rcu_assign_pointer(t->path, p);
	t->disk_bdev = info.disk_bdev;
	t->head = info.head;
	t->home_cntlid = info.cntlid;
	t->nsid = info.nsid;
	t->lba_shift = info.lba_shift;
	t->lba_bytes = 1U << t->lba_shift;
	t->nr_lbas = info.nr_lbas;
	t->disk_sectors = info.disk_sectors;
	t->ms = info.ms;
	t->meta_ext = info.meta_ext;
	t->pi_type = info.pi_type;
	t->pi_size = info.pi_size;
	t->pi_first = info.pi_first;
	t->writable = (f->f_mode & FMODE_WRITE) && !info.read_only;
	t->node = info.node;
	t->poll_queues = q->tag_set && q->tag_set->nr_maps > HCTX_TYPE_POLL &&
			 q->tag_set->map[HCTX_TYPE_POLL].nr_queues;
	t->dma_align = max_t(unsigned int, queue_dma_alignment(q), 3);

	/*
	 * The data mapping is built page by page, one bio_vec each; a
	 * command may use as many pages as the queue takes segments.
	 */
	segs = min_t(u32, queue_max_segments(q), BIO_MAX_VECS);
	max_bytes = min_t(u32, queue_max_hw_sectors(q) << SECTOR_SHIFT,
			  NRI_MAX_TRANSFER);
	if (segs < 2) {
		pr_err("device: %s: queue takes %u segments per command\n",
		       path, segs);
		ret = -EOPNOTSUPP;
		goto out_put_path;
	}
	max_bytes = min_t(u32, max_bytes, (segs - 1) << PAGE_SHIFT);
	t->max_transfer = rounddown(max_bytes, PAGE_SIZE);
	t->max_vecs = (t->max_transfer >> PAGE_SHIFT) + 1;
	return 0;

out_put_path:
	nri_path_retire(p);
out_fput:
	fput(f);
	memset(t, 0, sizeof(*t));
	return ret;
}

/* Whether a namespace described as @i has the format and size @t bound to. */
bool nri_target_fits(const struct nri_target *t, const struct nri_ns_info *i)
{
	return i->lba_shift == t->lba_shift && i->ms == t->ms &&
	       i->meta_ext == t->meta_ext && i->pi_type == t->pi_type &&
	       i->disk_sectors == t->disk_sectors;
}

/*
 * Whether the namespace's format or size is no longer what the ring bound
 * to (a format to another LBA size, metadata layout or protection type, a
 * resize). Nothing may go out with stale geometry: the first to notice
 * marks the ring dead and says so. (A namespace the block layer cannot
 * use shows a size of 0 throughout, so its resize goes unseen here; the
 * device still refuses LBAs beyond its end.)
 */
bool nri_target_changed(struct nri_ring *ring, struct nri_path *p)
{
	struct nri_target *t = &ring->tgt;
	struct nri_ns_info now;

	nri_nvme_describe_ns(p->ns, &now);
	if (likely(nri_target_fits(t, &now)))
		return false;
	/*
	 * A head's path going away is the head's business: the ring moves
	 * to another, waits for one, or dies (nri_path_switch()).
	 */
	if (t->head && !t->poll && !now.disk_sectors && t->disk_sectors) {
		nri_path_switch(ring, p);
		return true;
	}
	if (!nri_mark_dead(ring))
		return true;
	/* the driver zeroes the capacity first when a namespace goes away */
	if (!now.disk_sectors && t->disk_sectors)
		pr_err("%s: namespace %u has no capacity any more (removed, detached, its controller deleted or disconnected, or formatted to what the block layer cannot use): the ring is dead\n",
		       dev_name(&ring->dev), t->nsid);
	else
		pr_err("%s: namespace %u changed under the ring (%u-byte blocks + %u bytes of metadata%s, PI type %u, %llu sectors; bound to %u + %u%s, type %u, %llu): the ring is dead\n",
		       dev_name(&ring->dev), t->nsid, 1U << now.lba_shift,
		       now.ms, now.meta_ext ? " extended" : "", now.pi_type,
		       now.disk_sectors, t->lba_bytes, t->ms,
		       t->meta_ext ? " extended" : "", t->pi_type,
		       t->disk_sectors);
	return true;
}

void nri_target_close(struct nri_target *t)
{
	struct nri_path *p = rcu_dereference_protected(t->path, true);

	RCU_INIT_POINTER(t->path, NULL);
	if (p) {
		/*
		 * Nothing is in flight and nobody can take the path any
		 * more: let go of the namespace now, not after the path's
		 * RCU grace period, so that a controller removed or
		 * rescanned right after finds it released (and comes back
		 * under its old name).
		 */
		nri_nvme_put_ns(p->ns);
		p->ns = NULL;
		nri_path_retire(p);
	}
	if (t->file)
		fput(t->file);
	t->file = NULL;
}

/*
 * Reap a polled ring's hardware context by number, whoever's requests are
 * on it: bio_poll() polls a disk queue's context named by the cookie, and
 * of the bio reads only the device and the cookie. Polling the context
 * frees the tags of every polled request completed on it, ours and other
 * rings' alike. It holds the queue's usage count while it polls.
 */
int nri_target_poll_hctx(struct request_queue *q, int hctx)
{
	DEFINE_IO_COMP_BATCH(iob);
	struct bio bio = {};
	int ret;

	if (hctx < 0 || !q->disk)
		return 0;
	bio.bi_bdev = q->disk->part0;
	bio.bi_cookie = hctx;
	ret = bio_poll(&bio, &iob, BLK_POLL_ONESHOT);
	if (!nri_iob_empty(&iob))
		iob.complete(&iob);
	return ret > 0 ? ret : 0;
}

/*
 * The blk-mq hardware context that serves @cpu: of the default map, or of
 * the poll map for a ring with polled completions.
 */
int nri_target_hctx_of_cpu(struct nri_target *t, struct nri_path *p,
			   unsigned int cpu)
{
	struct blk_mq_tag_set *set = p->q->tag_set;

	if (!set || cpu >= nr_cpu_ids)
		return -EINVAL;
	return set->map[t->poll ? HCTX_TYPE_POLL : HCTX_TYPE_DEFAULT].mq_map[cpu];
}
