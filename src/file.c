// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: file operations of /dev/nvme_ring/<name> (named rings) and
 * /dev/nvme_ring_io (anonymous rings made with NVME_RING_IO_SETUP).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nri.h"

struct nri_file {
	struct mutex		lock;	/* SETUP against everything else */
	struct nri_ring		*ring;	/* NULL until SETUP (anonymous) */
	struct nri_queue	*nq;	/* the file's current queue */
	bool			setup;	/* /dev/nvme_ring_io: takes SETUP */
};

static struct nri_queue *nri_default_queue(struct nri_ring *ring)
{
	unsigned int cpu = raw_smp_processor_id(), i;

	for (i = 0; i < ring->nr_queues; i++)
		if (cpumask_test_cpu(cpu, ring->queues[i]->cpus))
			return ring->queues[i];
	return ring->queues[0];
}

static struct nri_file *nri_file_alloc(void)
{
	struct nri_file *nf = kzalloc(sizeof(*nf), GFP_KERNEL);

	if (nf)
		mutex_init(&nf->lock);
	return nf;
}

static int nri_ring_open(struct inode *inode, struct file *file)
{
	struct nri_ring *ring = container_of(inode->i_cdev, struct nri_ring,
					     cdev);
	struct nri_file *nf;

	if (!nri_ring_live(ring))
		return -ENODEV;
	nf = nri_file_alloc();
	if (!nf)
		return -ENOMEM;
	get_device(&ring->dev);
	nf->ring = ring;
	nf->nq = nri_default_queue(ring);
	file->private_data = nf;
	return 0;
}

static int nri_misc_open(struct inode *inode, struct file *file)
{
	struct nri_file *nf = nri_file_alloc();

	if (!nf)
		return -ENOMEM;
	nf->setup = true;
	file->private_data = nf;
	return 0;
}

static int nri_open(struct inode *inode, struct file *file)
{
	if (imajor(inode) == MISC_MAJOR)
		return nri_misc_open(inode, file);
	return nri_ring_open(inode, file);
}

/*
 * A client going away (closing, or killed) may leave commands in flight on
 * a polled ring, where nothing but polling completes them: reap them now,
 * for up to a second; the driver's timeout handling covers a device that
 * does not answer.
 */
static void nri_reap_polled(struct nri_ring *ring)
{
	unsigned long end = jiffies + HZ;
	unsigned int i;

	if (!ring->tgt.poll)
		return;
	for (i = 0; i < ring->nr_queues; i++) {
		struct nri_queue *nq = ring->queues[i];

		while (READ_ONCE(nq->inflight) && !nq->poller &&
		       time_before(jiffies, end)) {
			if (!nri_poll_completions(nq))
				usleep_range(50, 100);
		}
	}
}

static int nri_file_release(struct inode *inode, struct file *file)
{
	struct nri_file *nf = file->private_data;

	if (nf->ring) {
		nri_reap_polled(nf->ring);
		if (nf->ring->cfg->anonymous)
			nri_ring_disable(nf->ring);
		nri_ring_put(nf->ring);
	}
	kfree(nf);
	return 0;
}

/* The file's ring and queue, once set up; NULL before SETUP. */
static struct nri_queue *nri_file_queue(struct nri_file *nf)
{
	struct nri_queue *nq;

	mutex_lock(&nf->lock);
	nq = nf->nq;
	mutex_unlock(&nf->lock);
	return nq;
}

/* The queue an io_uring command on @file acts on; NULL before SETUP. */
struct nri_queue *nri_file_to_queue(struct file *file)
{
	if (file->f_op != &nri_fops)
		return NULL;
	return nri_file_queue(file->private_data);
}

static void nri_fill_stats(struct nri_queue *nq, struct nvme_ring_stats *out)
{
	u32 inflight;

	nri_queue_stats(nq, out, &inflight);
	out->inflight = inflight;
}

static long nri_ioctl_setup(struct nri_file *nf, void __user *argp)
{
	struct nvme_ring_setup s;
	struct nri_config *cfg;
	struct nri_ring *ring;
	long ret = 0;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.flags & ~NRI_SETUP_FLAGS) {
		pr_warn_ratelimited("SETUP: unknown flags 0x%x\n", s.flags);
		return -EINVAL;
	}
	if (memchr_inv(s.resv, 0, sizeof(s.resv))) {
		pr_warn_ratelimited("SETUP: reserved fields are not zero\n");
		return -EINVAL;
	}

	cfg = nri_config_alloc();
	if (!cfg)
		return -ENOMEM;
	cfg->anonymous = true;
	if (s.sq_entries)
		cfg->sq_entries = s.sq_entries;
	if (s.cq_entries)
		cfg->cq_entries = s.cq_entries;
	if (s.data_size)
		cfg->data_size = s.data_size;
	cfg->hugepages = !!(s.flags & NVME_RING_SETUP_F_HUGEPAGES);
	cfg->nr_queues = 1;
	/*
	 * Without a node: the calling CPU's, or the nearest with memory when
	 * that one has none (cpu_to_mem() is cpu_to_node() on x86, which
	 * has no memoryless-node support of its own).
	 */
	cfg->numa_node = (s.flags & NVME_RING_SETUP_F_NUMA_NODE) ?
			 s.numa_node :
			 nri_nearest_mem_node(cpu_to_node(raw_smp_processor_id()));
	cpumask_and(&cfg->cpus, current->cpus_ptr, cpu_online_mask);
	cfg->nvme_file = fget(s.nvme_fd);
	if (!cfg->nvme_file) {
		pr_warn_ratelimited("SETUP: nvme_fd %d is not an open file\n",
				    s.nvme_fd);
		nri_config_free(cfg);
		return -EBADF;
	}

	mutex_lock(&nf->lock);
	if (nf->ring) {
		mutex_unlock(&nf->lock);
		nri_config_free(cfg);
		return -EBUSY;
	}
	ring = nri_ring_create(cfg);
	if (IS_ERR(ring)) {
		ret = PTR_ERR(ring);
	} else {
		nf->ring = ring;
		nf->nq = ring->queues[0];
	}
	mutex_unlock(&nf->lock);
	return ret;
}

static void nri_fill_info(struct nri_queue *nq, struct nvme_ring_info *info)
{
	struct nri_ring *ring = nq->ring;
	struct nri_config *cfg = ring->cfg;
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->abi_version = NVME_RING_IO_ABI_VERSION;
	info->nr_queues = ring->nr_queues;
	info->features = NRI_FEATURES;
	info->queue = nq->idx;
	info->nsid = ring->tgt.nsid;
	info->sq_entries = cfg->sq_entries;
	info->cq_entries = cfg->cq_entries;
	info->lba_shift = ring->tgt.lba_shift;
	info->max_transfer = ring->tgt.max_transfer;
	info->lba_start = cfg->lba_start;
	info->lba_count = cfg->lba_count ? cfg->lba_count :
			  ring->tgt.nr_lbas - cfg->lba_start;
	info->numa_node = ring->numa_node;
	info->sq_poll_idle_ms = cfg->sq_poll ? cfg->sq_poll_idle_ms : 0;
	if (ring->tgt.poll)
		info->flags |= NVME_RING_INFO_F_POLLED;
	info->state = atomic_read(&ring->state) == NRI_STATE_LIVE ?
		      NVME_RING_STATE_LIVE : NVME_RING_STATE_DEAD;
	for (i = 0; i < NRI_OPC_BITS; i++)
		if (test_bit(i, cfg->opcodes.allowed))
			info->opcodes[i / 8] |= 1U << (i % 8);
	info->layout = nq->layout;
	nri_fill_stats(nq, &info->stats);
	info->meta_size = ring->tgt.ms;
	info->pi_type = ring->tgt.pi_type;
	info->pi_size = ring->tgt.pi_type ? ring->tgt.pi_size : 0;
	if (ring->tgt.meta_ext)
		info->meta_flags |= NVME_RING_META_F_EXTENDED;
	if (ring->tgt.pi_type && ring->tgt.pi_first)
		info->meta_flags |= NVME_RING_META_F_PI_FIRST;
	if (cfg->pi_check)
		info->meta_flags |= NVME_RING_META_F_PI_CHECK;
}

static long nri_ioctl_queue_info(struct nri_ring *ring, void __user *argp)
{
	struct nvme_ring_queue_info qi;
	struct nri_queue *nq;
	unsigned int cpu;
	u32 idx;

	if (copy_from_user(&idx, argp, sizeof(idx)))
		return -EFAULT;
	if (idx >= ring->nr_queues)
		return -EINVAL;
	nq = ring->queues[idx];
	memset(&qi, 0, sizeof(qi));
	qi.queue = idx;
	qi.numa_node = nq->node;
	qi.hctx = find_first_bit(nq->hctxs, NRI_MAX_HCTX);
	qi.nvme_qid = qi.hctx + 1;
	qi.nr_cpus = cpumask_weight(nq->cpus);
	qi.huge_pages = nq->huge_chunks;
	for_each_cpu(cpu, nq->cpus)
		if (cpu < 256)
			qi.cpus[cpu / 64] |= 1ULL << (cpu % 64);
	qi.layout = nq->layout;
	nri_fill_stats(nq, &qi.stats);
	return copy_to_user(argp, &qi, sizeof(qi)) ? -EFAULT : 0;
}

/*
 * What changes a ring (submitting, SETUP, rewriting the shared indices)
 * needs the file open for writing; a read-only opener may read info and
 * statistics, map the ring read-only and wait for completions.
 */
int nri_file_may_write(struct file *file, struct nri_ring *ring,
		       const char *what)
{
	if (file->f_mode & FMODE_WRITE)
		return 0;
	if (ring)
		nri_warn(ring, "%s refused: the ring is open read-only\n",
			 what);
	else
		pr_warn_ratelimited("%s refused: %s is open read-only\n", what,
				    NVME_RING_IO_MISC_NAME);
	return -EBADF;
}

/* SUBMIT's flags and wait count, before anything is consumed. */
static int nri_submit_check(struct nri_queue *nq,
			    const struct nvme_ring_submit *s)
{
	u32 entries = nri_cq_entries(&nq->rings);

	if (s->flags & ~NVME_RING_SUBMIT_F_WAIT) {
		nri_warn(nq->ring, "SUBMIT: unknown flags 0x%x\n", s->flags);
		return -EINVAL;
	}
	if (!(s->flags & NVME_RING_SUBMIT_F_WAIT) && s->min_complete) {
		nri_warn(nq->ring, "SUBMIT: min_complete %u without NVME_RING_SUBMIT_F_WAIT\n",
			 s->min_complete);
		return -EINVAL;
	}
	if (s->min_complete > entries) {
		nri_warn(nq->ring, "queue %u: SUBMIT: min_complete %u exceeds the %u-entry CQ\n",
			 nq->idx, s->min_complete, entries);
		return -EINVAL;
	}
	return 0;
}

static long nri_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nri_file *nf = file->private_data;
	void __user *argp = (void __user *)arg;
	struct nri_queue *nq;
	long ret;

	if (cmd == NVME_RING_IO_SETUP) {
		if (!nf->setup)
			return -ENOTTY;
		ret = nri_file_may_write(file, NULL, "SETUP");
		if (ret)
			return ret;
		return nri_ioctl_setup(nf, argp);
	}

	nq = nri_file_queue(nf);
	if (!nq)
		return -ENXIO;	/* anonymous ring not set up yet */

	switch (cmd) {
	case NVME_RING_IO_SUBMIT: {
		struct nvme_ring_submit s;

		ret = nri_file_may_write(file, nq->ring, "SUBMIT");
		if (ret)
			return ret;
		if (copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		ret = nri_submit_check(nq, &s);
		if (ret)
			return ret;
		ret = nri_submit(nq, s.max_submit);
		if (ret < 0)
			return ret;
		s.submitted = ret;
		if (s.flags & NVME_RING_SUBMIT_F_WAIT) {
			u32 avail;
			long err;

			err = nri_complete_wait(nq, s.min_complete, U32_MAX,
						false, &avail);
			/* what was submitted is reported even so */
			if (err < 0 && !s.submitted)
				return err;
		}
		if (copy_to_user(argp, &s, sizeof(s)))
			return -EFAULT;
		return s.submitted;
	}
	case NVME_RING_IO_COMPLETE: {
		struct nvme_ring_complete c;

		if (copy_from_user(&c, argp, sizeof(c)))
			return -EFAULT;
		if ((c.flags & ~NRI_COMPLETE_FLAGS) || c.resv[0] ||
		    c.resv[1])
			return -EINVAL;
		ret = nri_complete_wait(nq, c.min_complete, c.timeout_ms,
					c.flags & NVME_RING_COMPLETE_F_HYBRID,
					&c.available);
		if (ret < 0)
			return ret;
		if (copy_to_user(argp, &c, sizeof(c)))
			return -EFAULT;
		return c.available;
	}
	case NVME_RING_IO_GET_INFO: {
		struct nvme_ring_info *info;

		info = kmalloc(sizeof(*info), GFP_KERNEL);
		if (!info)
			return -ENOMEM;
		nri_fill_info(nq, info);
		ret = copy_to_user(argp, info, sizeof(*info)) ? -EFAULT : 0;
		kfree(info);
		return ret;
	}
	case NVME_RING_IO_SET_QUEUE: {
		u32 idx;

		if (get_user(idx, (u32 __user *)argp))
			return -EFAULT;
		if (idx >= nq->ring->nr_queues)
			return -EINVAL;
		mutex_lock(&nf->lock);
		nf->nq = nq->ring->queues[idx];
		mutex_unlock(&nf->lock);
		return 0;
	}
	case NVME_RING_IO_GET_QUEUE_INFO:
		return nri_ioctl_queue_info(nq->ring, argp);
	case NVME_RING_IO_REPAIR_INDICES:
		ret = nri_file_may_write(file, nq->ring, "REPAIR_INDICES");
		if (ret)
			return ret;
		nri_repair_indices(nq);
		return 0;
	default:
		return -ENOTTY;
	}
}

/*
 * The region is inserted whole at mmap() time; a page the client dropped
 * (madvise(MADV_DONTNEED)) comes back here. The mapping holds the file,
 * the file the ring, so the queue's pages are there for as long as the
 * mapping is.
 */
static vm_fault_t nri_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nri_queue *nq = vma->vm_private_data;
	u64 in = ((u64)vmf->pgoff << PAGE_SHIFT) -
		 (u64)nq->idx * NVME_RING_IO_MMAP_STRIDE;
	struct page *page;

	if (in >= nq->layout.mmap_size)
		return VM_FAULT_SIGBUS;
	page = nq->pages[in >> PAGE_SHIFT];
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct nri_vm_ops = {
	.fault = nri_vm_fault,
};

static int nri_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nri_file *nf = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long num = len >> PAGE_SHIFT;
	struct nri_queue *nq;
	struct nri_ring *ring;
	u64 off, qidx, in;

	nq = nri_file_queue(nf);
	if (!nq)
		return -ENXIO;
	ring = nq->ring;
	if (!nri_ring_live(ring))
		return -ENODEV;
	/* MAP_SHARED; a read-only file's shared mapping lacks only VM_SHARED */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;

	off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	qidx = div64_u64_rem(off, NVME_RING_IO_MMAP_STRIDE, &in);
	if (qidx >= ring->nr_queues)
		return -EINVAL;
	nq = ring->queues[qidx];
	if (in > nq->layout.mmap_size || len > nq->layout.mmap_size - in)
		return -EINVAL;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &nri_vm_ops;
	vma->vm_private_data = nq;
	return vm_insert_pages(vma, vma->vm_start, nq->pages + (in >> PAGE_SHIFT),
			       &num);
}

static __poll_t nri_poll(struct file *file, poll_table *wait)
{
	struct nri_file *nf = file->private_data;
	struct nri_queue *nq = nri_file_queue(nf);
	__poll_t mask = 0;

	if (!nq)
		return EPOLLERR;
	poll_wait(file, &nq->wait, wait);
	nri_poll_completions(nq);
	if (nri_cq_ready(&nq->rings))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!nri_ring_live(nq->ring))
		mask |= EPOLLERR | EPOLLHUP;
	return mask;
}

/* Both devices: a named ring's cdev and the misc /dev/nvme_ring_io. */
const struct file_operations nri_fops = {
	.owner		= THIS_MODULE,
	.open		= nri_open,
	.release	= nri_file_release,
	.unlocked_ioctl	= nri_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= nri_mmap,
	.poll		= nri_poll,
#if NRI_HAVE_URING_CMD
	.uring_cmd	= nri_uring_cmd,
	.uring_cmd_iopoll = nri_uring_cmd_iopoll,
#endif
	.llseek		= noop_llseek,
};
