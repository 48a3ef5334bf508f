// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the glue to the NVMe host driver.
 *
 * This is the only file that includes the driver's private nvme.h (struct
 * nvme_ns, nvme_req(), nvme_init_request(), ...), which is extracted from
 * the kernel source the module is built for. Everything the rest of the
 * module needs from the driver goes through the small interface declared
 * for this file in nri.h: find a namespace behind an open file
 * and describe it, let go of it, turn an NVMe command into a request, and
 * read a finished request's NVMe status and result. Porting to another
 * kernel means porting this file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nvme.h>

#include "nvme.h"
#include "nri.h"

MODULE_IMPORT_NS(NVME_TARGET_PASSTHRU);

static bool nri_owned_by_nvme(struct module *owner)
{
	return owner && !strcmp(owner->name, "nvme_core");
}

static bool nri_dev_class_is(struct device *dev, const char *name)
{
	return dev && dev->class && !strcmp(dev->class->name, name);
}

/*
 * Whether @ns, a path of a multipath head, can take I/O now: a live
 * controller, the namespace ready and ANA optimized or non-optimized (not
 * in a transition), and its disk not emptied by a removal.
 */
bool nri_nvme_path_usable(struct nvme_ns *ns)
{
	return nvme_ctrl_state(ns->ctrl) == NVME_CTRL_LIVE &&
	       !test_bit(NVME_NS_ANA_PENDING, &ns->flags) &&
	       test_bit(NVME_NS_READY, &ns->flags) &&
	       !test_bit(NVME_NS_REMOVING, &ns->flags) &&
	       (ns->ana_state == NVME_ANA_OPTIMIZED ||
		ns->ana_state == NVME_ANA_NONOPTIMIZED) &&
	       get_capacity(ns->disk);
}

/*
 * How much a path is worth to a ring on @node, lower first: ANA optimized
 * before non-optimized; under the subsystem's numa iopolicy the
 * controller nearest @node (the driver's own order, __nvme_find_path());
 * among equals the controller with cntlid @home, where the ring began.
 */
static int nri_path_rank(struct nvme_ns *ns, bool numa, int node, u16 home)
{
	int rank = 0;

	if (ns->ana_state == NVME_ANA_NONOPTIMIZED)
		rank += 4096;
	if (numa && node != NUMA_NO_NODE && ns->ctrl->numa_node != NUMA_NO_NODE)
		rank += node_distance(node, ns->ctrl->numa_node) * 2;
	if (ns->ctrl->cntlid != home)
		rank++;
	return rank;
}

/*
 * The best usable path of @head for a ring on @node, with a reference; NULL
 * when there is none.
 */
static struct nvme_ns *__nri_head_path(struct nvme_ns_head *head, int node,
				       u16 home)
{
	bool numa = READ_ONCE(head->subsys->iopolicy) == NVME_IOPOLICY_NUMA;
	struct nvme_ns *ns, *pick = NULL, *got = NULL;
	int best = INT_MAX, rank, srcu_idx;

	srcu_idx = srcu_read_lock(&head->srcu);
	list_for_each_entry_srcu(ns, &head->list, siblings,
				 srcu_read_lock_held(&head->srcu)) {
		if (!nri_nvme_path_usable(ns))
			continue;
		rank = nri_path_rank(ns, numa, node, home);
		if (rank < best) {
			best = rank;
			pick = ns;
		}
	}
	if (pick)
		got = nvme_find_get_ns(pick->ctrl, head->ns_id);
	srcu_read_unlock(&head->srcu, srcu_idx);
	return got;
}

/* A head's path at bind: any controller may be home. */
static struct nvme_ns *nri_head_path(struct nvme_ns_head *head, int node,
				     const char *path)
{
	struct nvme_ns *got = __nri_head_path(head, node, 0xffff);

	if (!got) {
		pr_err("device: %s is an NVMe multipath head with no usable path (no live controller with the namespace ANA optimized or non-optimized)\n",
		       path);
		return ERR_PTR(-ENODEV);
	}
	pr_debug("device: %s is an NVMe multipath head: its path through %s (%s)\n",
		 path, dev_name(got->ctrl->device),
		 got->ana_state == NVME_ANA_OPTIMIZED ? "ANA optimized" :
		 "ANA non-optimized");
	return got;
}

/*
 * The path of @ns's multipath head a ring on @node should use now (maybe
 * @ns itself), with a reference; NULL when none is usable. The ring holds
 * the head's device open, so the head outlives the call.
 */
struct nvme_ns *nri_nvme_best_path(struct nvme_ns *ns, int node, u16 home)
{
	return __nri_head_path(ns->head, node, home);
}

/*
 * Whether a path of @ns's head may come back without a rescan: its
 * controller live, resetting or reconnecting, as the driver's own
 * nvme_available_path() sees it when it decides to hold a head's I/O.
 */
bool nri_nvme_path_available(struct nvme_ns *ns)
{
	struct nvme_ns_head *head = ns->head;
	bool ret = false;
	int srcu_idx;

	srcu_idx = srcu_read_lock(&head->srcu);
	list_for_each_entry_srcu(ns, &head->list, siblings,
				 srcu_read_lock_held(&head->srcu)) {
		if (test_bit(NVME_CTRL_FAILFAST_EXPIRED, &ns->ctrl->flags) ||
		    test_bit(NVME_NS_REMOVING, &ns->flags))
			continue;
		switch (nvme_ctrl_state(ns->ctrl)) {
		case NVME_CTRL_LIVE:
		case NVME_CTRL_RESETTING:
		case NVME_CTRL_CONNECTING:
			ret = true;
			break;
		default:
			break;
		}
		if (ret)
			break;
	}
	srcu_read_unlock(&head->srcu, srcu_idx);
	return ret;
}

const char *nri_nvme_ctrl_name(struct nvme_ns *ns)
{
	return dev_name(ns->ctrl->device);
}

/*
 * The nvme_ns behind an open file, and whether *@held, a reference taken.
 * A multipath head (a bio-based disk, or the head's generic node) gives
 * one of its paths, chosen as the driver would for @node.
 */
static struct nvme_ns *nri_file_to_ns(struct file *f, const char *path,
				      int node, bool *held)
{
	struct inode *inode = file_inode(f);

	*held = false;
	if (S_ISBLK(inode->i_mode)) {
		struct block_device *bdev = I_BDEV(f->f_mapping->host);
		struct gendisk *disk = bdev->bd_disk;

		if (!nri_owned_by_nvme(disk->fops->owner)) {
			pr_err("device: %s is not an NVMe namespace\n", path);
			return ERR_PTR(-ENODEV);
		}
		if (bdev_is_partition(bdev)) {
			pr_err("device: %s is a partition; bind the whole namespace\n",
			       path);
			return ERR_PTR(-ENODEV);
		}
		if (!queue_is_mq(disk->queue)) {
			*held = true;
			return nri_head_path(disk->private_data, node, path);
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
			if (nri_dev_class_is(dev->parent, "nvme-subsystem")) {
				*held = true;
				return nri_head_path(container_of(dev,
							struct nvme_ns_head,
							cdev_device),
						     node, path);
			}
		}
	}

	pr_err("device: %s is not an NVMe namespace (want /dev/nvmeXnY or /dev/ngXnY)\n",
	       path);
	return ERR_PTR(-ENODEV);
}

/*
 * What the driver does not keep: the namespace's size in blocks (the disk
 * shows 0 for formats the block layer cannot use, such as extended LBAs
 * without protection information) and where the PI tuple sits in the
 * metadata. Asked of the controller once, at bind.
 */
static int nri_nvme_identify_ns(struct nvme_ns *ns, const char *path,
				struct nri_ns_info *info)
{
	struct nvme_command c = { };
	struct nvme_id_ns *id;
	int ret;

	id = kmalloc(sizeof(*id), GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(ns->head->ns_id);
	c.identify.cns = NVME_ID_CNS_NS;
	ret = nvme_submit_sync_cmd(ns->ctrl->admin_q, &c, id, sizeof(*id));
	if (ret) {
		pr_err("device: %s: Identify Namespace %u failed: %d\n", path,
		       ns->head->ns_id, ret);
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}
	info->nr_lbas = le64_to_cpu(id->nsze);
	info->pi_first = id->dps & NVME_NS_DPS_PI_FIRST;
	/* the layout and PI the data path uses must be the device's */
	if (info->ms &&
	    (info->meta_ext != !!(id->flbas & NVME_NS_FLBAS_META_EXT) ||
	     info->pi_type != (id->dps & NVME_NS_DPS_PI_MASK))) {
		pr_err("device: %s: namespace %u: the driver does not describe its metadata as the device does (flbas 0x%x, dps 0x%x)\n",
		       path, ns->head->ns_id, id->flbas, id->dps);
		ret = -EOPNOTSUPP;
	} else if (info->pi_type && !info->guard16) {
		pr_err("device: %s: namespace %u uses a protection information format other than the 16-bit guard one, which rings do not support\n",
		       path, ns->head->ns_id);
		ret = -EOPNOTSUPP;
	}
out:
	kfree(id);
	return ret;
}

/*
 * Find the namespace behind @f (opened from @path), take a reference on it
 * and describe it in @info. Returns the namespace or an ERR_PTR, having
 * said why.
 */
struct nvme_ns *nri_nvme_get_ns(struct file *f, const char *path, int node,
				struct nri_ns_info *info)
{
	struct nvme_ns *ns, *got;
	bool held;
	int ret;

	ns = nri_file_to_ns(f, path, node, &held);
	if (IS_ERR(ns))
		return ns;
	if (held) {
		got = ns;
		goto describe;
	}

	/* Take a proper reference, and make sure the namespace is live. */
	got = nvme_find_get_ns(ns->ctrl, ns->head->ns_id);
	if (!got) {
		pr_err("device: %s: namespace %u is going away\n", path,
		       ns->head->ns_id);
		return ERR_PTR(-ENODEV);
	}
	if (got != ns) {
		pr_err("device: %s: namespace %u changed under us\n", path,
		       ns->head->ns_id);
		nvme_put_ns(got);
		return ERR_PTR(-ENODEV);
	}
describe:
	nri_nvme_describe_ns(ns, info);
	info->head = held;
	/* a head's I/O is accounted, and seen, on the head's disk */
	info->disk_bdev = held ? ns->head->disk->part0 : ns->disk->part0;
	ret = nri_nvme_identify_ns(ns, path, info);
	if (ret) {
		nvme_put_ns(ns);
		return ERR_PTR(ret);
	}
	return ns;
}

/*
 * The namespace as it is now: its format and size may change under a
 * ring (a format, a resize), which the data path checks against what it
 * bound to.
 */
void nri_nvme_describe_ns(struct nvme_ns *ns, struct nri_ns_info *info)
{
	info->q = ns->queue;
	info->nsid = ns->head->ns_id;
	info->lba_shift = READ_ONCE(NRI_NS_FORMAT(ns)->lba_shift);
	info->ms = READ_ONCE(NRI_NS_FORMAT(ns)->ms);
	info->meta_ext = info->ms &&
			 (READ_ONCE(NRI_NS_FORMAT(ns)->features) &
			  NVME_NS_EXT_LBAS);
	info->pi_type = READ_ONCE(NRI_NS_FORMAT(ns)->pi_type);
	info->pi_size = READ_ONCE(NRI_NS_FORMAT(ns)->pi_size);
	info->guard16 = READ_ONCE(NRI_NS_FORMAT(ns)->guard_type) ==
			NVME_NVM_NS_16B_GUARD;
	info->disk_sectors = get_capacity(ns->disk);
	info->read_only = test_bit(NVME_NS_FORCE_RO, &ns->flags);
	info->node = dev_to_node(ns->ctrl->dev);
	info->cntlid = ns->ctrl->cntlid;
}

void nri_nvme_put_ns(struct nvme_ns *ns)
{
	nvme_put_ns(ns);
}

/*
 * A passthrough request for @c on @q, as the driver's own ioctl path makes
 * one; @opf adds request flags (REQ_POLLED), @flags allocation flags.
 */
/*
 * What the controller's Commands Supported and Effects log says I/O opcode
 * @opc does, unmasked (nvme_command_effects() hides the execution
 * restrictions of I/O commands).
 */
u32 nri_nvme_io_effects(struct nvme_ns *ns, u8 opc)
{
	/*
	 * The path's own controller's log, not the head's: a shared head
	 * keeps the log of the controller it was made with, which is freed
	 * with that controller while other paths live on.
	 */
	if (!ns->ctrl->effects)
		return 0;
	return le32_to_cpu(ns->ctrl->effects->iocs[opc]);
}

struct request *nri_nvme_alloc_request(struct request_queue *q,
				       struct nvme_command *c, blk_opf_t opf,
				       blk_mq_req_flags_t flags)
{
	struct request *rq;

	rq = blk_mq_alloc_request(q, nvme_req_op(c) | opf, flags);
	if (IS_ERR(rq))
		return rq;
	nvme_init_request(rq, c);
	/*
	 * A user command, as the kernel's own passthrough marks them: the PCI
	 * driver then uses SGLs where the controller has them, so the device
	 * checks the transfer against the mapped length.
	 */
	nvme_req(rq)->flags |= NVME_REQ_USERCMD;
	return rq;
}

/*
 * How a finished request went: its NVMe status (0 on success) and result
 * in *status and *result; returns 0 or the errno the client sees.
 */
int nri_nvme_rq_status(struct request *rq, blk_status_t err, u16 *status,
		       u64 *result)
{
	struct nvme_request *nreq = nvme_req(rq);

	*result = le64_to_cpu(nreq->result.u64);
	*status = nreq->status;
	if (nreq->flags & NVME_REQ_CANCELLED) {
		if (!*status)
			*status = NVME_SC_ABORT_REQ;
		return -EINTR;
	}
	if (*status)
		return -EIO;
	if (err) {
		*status = NVME_SC_HOST_PATH_ERROR;
		return blk_status_to_errno(err);
	}
	return 0;
}

/*
 * Whether a finished request failed because of its path rather than its
 * command, so that another path of a multipath head may do it: a status of
 * the path-related type (a host abort when the controller went away, an
 * ANA state), a cancelled command, or a host-side failure with no status
 * at all. Not when the device said not to retry.
 */
bool nri_nvme_rq_path_error(struct request *rq, blk_status_t err)
{
	struct nvme_request *nreq = nvme_req(rq);
	u16 status = nreq->status;

	if (status & NVME_STATUS_DNR)
		return false;
	if (nreq->flags & NVME_REQ_CANCELLED)
		return true;
	if (status)
		return nvme_is_path_error(status);
	return err != BLK_STS_OK;
}

/*
 * A request failed on its path with an ANA status: the controller lives
 * but does not serve the namespace now. As the driver does for its own
 * I/O (nvme_failover_req()), take the path out of use until the ANA log
 * has been read again, which this asks for.
 */
void nri_nvme_path_failed(struct request *rq)
{
#ifdef CONFIG_NVME_MULTIPATH
	struct nvme_ns *ns = rq->q->queuedata;

	/* it masks the status itself, as each kernel's header needs */
	if (ns && nvme_is_ana_error(nvme_req(rq)->status) &&
	    ns->ctrl->ana_log_buf) {
		set_bit(NVME_NS_ANA_PENDING, &ns->flags);
		queue_work(nvme_wq, &ns->ctrl->ana_work);
	}
#endif
}
