// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: binding a ring to an NVMe namespace.
 *
 * A namespace is named by its block device (/dev/nvmeXnY) or its generic
 * character device (/dev/ngXnY). Either way we end up holding the open file
 * (so the device stays open) and a reference on the struct nvme_ns, whose
 * request queue we allocate passthrough requests from.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nvme.h>

#include "nvme.h"
#include "nri.h"

static bool nri_owned_by_nvme(struct module *owner)
{
	return owner && !strcmp(owner->name, "nvme_core");
}

static bool nri_dev_class_is(struct device *dev, const char *name)
{
	return dev && dev->class && !strcmp(dev->class->name, name);
}

/*
 * Find the nvme_ns behind an open file. Multipath heads are bio-based and
 * hold an nvme_ns_head instead; they are refused here for now.
 */
static struct nvme_ns *nri_file_to_ns(struct file *f, const char *path)
{
	struct inode *inode = file_inode(f);

	if (S_ISBLK(inode->i_mode)) {
		struct block_device *bdev = I_BDEV(f->f_mapping->host);
		struct gendisk *disk = bdev->bd_disk;

		if (!nri_owned_by_nvme(disk->fops->owner)) {
			pr_err("device: %s is not an NVMe namespace\n", path);
			return ERR_PTR(-ENODEV);
		}
		if (!queue_is_mq(disk->queue)) {
			pr_err("device: %s is an NVMe multipath head; bind one of its paths (not supported yet)\n",
			       path);
			return ERR_PTR(-EOPNOTSUPP);
		}
		if (bdev_is_partition(bdev)) {
			pr_err("device: %s is a partition; bind the whole namespace\n",
			       path);
			return ERR_PTR(-ENODEV);
		}
		return disk->private_data;
	}

	/*
	 * A generic namespace node: its cdev's parent is the "nvme-generic"
	 * class device, whose own parent is the controller ("nvme" class) for
	 * a per-path namespace, or the subsystem for a multipath head.
	 */
	if (S_ISCHR(inode->i_mode) && inode->i_cdev &&
	    inode->i_cdev->kobj.parent) {
		struct device *dev = kobj_to_dev(inode->i_cdev->kobj.parent);

		if (nri_dev_class_is(dev, "nvme-generic")) {
			if (nri_dev_class_is(dev->parent, "nvme"))
				return container_of(dev, struct nvme_ns,
						    cdev_device);
			pr_err("device: %s is an NVMe multipath head; bind one of its paths (not supported yet)\n",
			       path);
			return ERR_PTR(-EOPNOTSUPP);
		}
	}

	pr_err("device: %s is not an NVMe namespace (want /dev/nvmeXnY or /dev/ngXnY)\n",
	       path);
	return ERR_PTR(-ENODEV);
}

/*
 * Open the namespace at @path, or use the caller's open file @f. On success
 * the target holds a file reference and a namespace reference.
 */
int nri_target_open(struct nri_target *t, const char *path, struct file *f)
{
	struct nvme_ns *ns, *got;
	struct request_queue *q;
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

	ns = nri_file_to_ns(f, path);
	if (IS_ERR(ns)) {
		ret = PTR_ERR(ns);
		goto out_fput;
	}

	/* Take a proper reference, and make sure the namespace is live. */
	got = nvme_find_get_ns(ns->ctrl, ns->head->ns_id);
	if (!got) {
		pr_err("device: %s: namespace %u is going away\n", path,
		       ns->head->ns_id);
		ret = -ENODEV;
		goto out_fput;
	}
	if (got != ns) {
		pr_err("device: %s: namespace %u changed under us\n", path,
		       ns->head->ns_id);
		ret = -ENODEV;
		goto out_put_ns;
	}

	if (ns->head->ms) {
		pr_err("device: %s: namespace %u is formatted with %u bytes of metadata per block, which rings do not support yet\n",
		       path, ns->head->ns_id, ns->head->ms);
		ret = -EOPNOTSUPP;
		goto out_put_ns;
	}

	q = ns->queue;
	t->file = f;
	t->ns = ns;
	t->q = q;
	t->nsid = ns->head->ns_id;
	t->lba_shift = ns->head->lba_shift;
	t->lba_bytes = 1U << t->lba_shift;
	t->nr_lbas = get_capacity(ns->disk) >> (t->lba_shift - SECTOR_SHIFT);
	t->writable = (f->f_mode & FMODE_WRITE) &&
		      !test_bit(NVME_NS_FORCE_RO, &ns->flags);
	t->node = dev_to_node(ns->ctrl->dev);
	t->poll_queues = q->tag_set && q->tag_set->nr_maps > HCTX_TYPE_POLL &&
			 q->tag_set->map[HCTX_TYPE_POLL].nr_queues;
	t->dma_align = max(queue_dma_alignment(q), 3U);

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
		goto out_put_ns;
	}
	max_bytes = min_t(u32, max_bytes, (segs - 1) << PAGE_SHIFT);
	t->max_transfer = rounddown(max_bytes, PAGE_SIZE);
	t->max_vecs = (t->max_transfer >> PAGE_SHIFT) + 1;
	return 0;

out_put_ns:
	nvme_put_ns(got);
out_fput:
	fput(f);
	memset(t, 0, sizeof(*t));
	return ret;
}

void nri_target_close(struct nri_target *t)
{
	if (t->ns)
		nvme_put_ns(t->ns);
	if (t->file)
		fput(t->file);
	t->ns = NULL;
	t->file = NULL;
	t->q = NULL;
}

/*
 * The blk-mq hardware context that serves @cpu: of the default map, or of
 * the poll map for a ring with polled completions.
 */
int nri_target_hctx_of_cpu(struct nri_target *t, unsigned int cpu)
{
	struct blk_mq_tag_set *set = t->q->tag_set;

	if (!set || cpu >= nr_cpu_ids)
		return -EINVAL;
	return set->map[t->poll ? HCTX_TYPE_POLL : HCTX_TYPE_DEFAULT].mq_map[cpu];
}
