// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: /sys/class/nvme_ring_io/<name>/ and its queues/<q>/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "nri.h"

static char *nri_devnode(NRI_DEVNODE_CONST struct device *dev, umode_t *mode,
			 kuid_t *uid, kgid_t *gid)
{
	const struct nri_ring *ring = container_of(dev, struct nri_ring, dev);

	if (mode)
		*mode = ring->cfg->mode;
	if (uid)
		*uid = ring->cfg->uid;
	if (gid)
		*gid = ring->cfg->gid;
	return kasprintf(GFP_KERNEL, NVME_RING_IO_DEV_DIR "/%s", dev_name(dev));
}

NRI_CLASS_CONST struct class nri_class = {
	.name		= "nvme_ring_io",
};

/* The device type carries the node's name, owner and mode. */
const struct device_type nri_ring_type = {
	.name		= "nvme_ring",
	.devnode	= nri_devnode,
};

static struct nri_ring *to_ring(struct device *dev)
{
	return container_of(dev, struct nri_ring, dev);
}

/* ---- the counters, listed once ---- */

struct nri_stat_info {
	const char	*name;		/* sysfs file and uapi field */
	const char	*title;		/* stat table column; NULL: none */
	int		width;
	size_t		offset;		/* in struct nvme_ring_stats */
	bool		max;		/* the ring's is the largest, not the sum */
};

#define NRI_STAT(_name, _title, _width) {				\
	.name = #_name, .title = _title, .width = _width,		\
	.offset = offsetof(struct nvme_ring_stats, _name),		\
}

#define NRI_STAT_MAX(_name) {						\
	.name = #_name, .max = true,					\
	.offset = offsetof(struct nvme_ring_stats, _name),		\
}

static const struct nri_stat_info nri_stat_info[] = {
	NRI_STAT(submitted,	"submitted",	12),
	NRI_STAT(completed,	"completed",	12),
	NRI_STAT(errors,	"errors",	8),
	NRI_STAT(invalid_descs,	"invalid",	8),
	NRI_STAT(bytes_read,	"bytes_read",	14),
	NRI_STAT(bytes_written,	"bytes_written", 14),
	NRI_STAT(sq_empty_kicks, NULL,		0),
	NRI_STAT(cq_full_events, NULL,		0),
	NRI_STAT(remote_submits, NULL,		0),
	NRI_STAT(reads,		NULL,		0),
	NRI_STAT(writes,	NULL,		0),
	NRI_STAT(others,	NULL,		0),
	NRI_STAT(lat_total_ns,	NULL,		0),
	NRI_STAT_MAX(lat_max_ns),
};

#define NRI_NR_STATS	ARRAY_SIZE(nri_stat_info)

static u64 *nri_stat(struct nvme_ring_stats *st, unsigned int i)
{
	return (u64 *)((char *)st + nri_stat_info[i].offset);
}

/* Sum of every queue's counters. */
static void nri_ring_totals(struct nri_ring *ring, struct nvme_ring_stats *sum,
			    u64 *inflight)
{
	struct nvme_ring_stats st;
	unsigned int i, j;
	u32 inf;

	memset(sum, 0, sizeof(*sum));
	*inflight = 0;
	for (i = 0; i < ring->nr_queues; i++) {
		nri_queue_stats(ring->queues[i], &st, &inf);
		for (j = 0; j < NRI_NR_STATS; j++)
			if (nri_stat_info[j].max)
				*nri_stat(sum, j) = max(*nri_stat(sum, j),
							*nri_stat(&st, j));
			else
				*nri_stat(sum, j) += *nri_stat(&st, j);
		*inflight += inf;
	}
}

static ssize_t device_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct nri_ring *ring = to_ring(dev);

	return sysfs_emit(buf, "%s\n", ring->cfg->anonymous ? "nvme_fd" :
			  ring->cfg->device);
}
static DEVICE_ATTR_RO(device);

/* The controller the ring's commands go through now; "none" once gone. */
static ssize_t nri_path_ctrl_show(struct nri_ring *ring, char *buf)
{
	struct nri_path *p;
	ssize_t ret;

	rcu_read_lock();
	p = rcu_dereference(ring->tgt.path);
	ret = sysfs_emit(buf, "%s\n", p ? p->ctrl : "none");
	rcu_read_unlock();
	return ret;
}

static ssize_t controller_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return nri_path_ctrl_show(to_ring(dev), buf);
}
static DEVICE_ATTR_RO(controller);

/* How often a multipath head's ring has moved to another path. */
static ssize_t path_changes_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_ring(dev)->path_changes));
}
static DEVICE_ATTR_RO(path_changes);

static ssize_t nsid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ring(dev)->tgt.nsid);
}
static DEVICE_ATTR_RO(nsid);

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ring(dev)->numa_node);
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", nri_state_name(to_ring(dev)));
}
static DEVICE_ATTR_RO(state);

static ssize_t nr_queues_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ring(dev)->nr_queues);
}
static DEVICE_ATTR_RO(nr_queues);

/* The namespace's metadata: bytes per block, where it goes, its PI. */
static ssize_t metadata_size_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ring(dev)->tgt.ms);
}
static DEVICE_ATTR_RO(metadata_size);

static ssize_t metadata_layout_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct nri_target *t = &to_ring(dev)->tgt;

	return sysfs_emit(buf, "%s\n", !t->ms ? "none" :
			  t->meta_ext ? "extended" : "separate");
}
static DEVICE_ATTR_RO(metadata_layout);

static ssize_t pi_type_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ring(dev)->tgt.pi_type);
}
static DEVICE_ATTR_RO(pi_type);

static ssize_t pi_check_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ring(dev)->cfg->pi_check);
}
static DEVICE_ATTR_RO(pi_check);

/* Ring totals: one show routine, the counter's index in ->var. */
static ssize_t nri_ring_counter_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct dev_ext_attribute *ea = container_of(attr,
						    struct dev_ext_attribute,
						    attr);
	struct nvme_ring_stats sum;
	u64 inflight;

	nri_ring_totals(to_ring(dev), &sum, &inflight);
	return sysfs_emit(buf, "%llu\n",
			  *nri_stat(&sum, (uintptr_t)ea->var));
}

/* made from nri_stat_info[] by nri_stats_init() */
static struct dev_ext_attribute nri_ring_counter_attrs[NRI_NR_STATS];

static ssize_t inflight_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct nvme_ring_stats sum;
	u64 inflight;

	nri_ring_totals(to_ring(dev), &sum, &inflight);
	return sysfs_emit(buf, "%llu\n", inflight);
}
static DEVICE_ATTR_RO(inflight);

/* a line of the table below, with room to spare */
#define NRI_STAT_LINE	128

/* One line of the table: a label, the counters with a column, inflight. */
static void nri_stat_line(struct seq_buf *s, const char *label,
			  struct nvme_ring_stats *st, u64 inflight)
{
	unsigned int i;

	seq_buf_printf(s, "%5s", label);
	for (i = 0; i < NRI_NR_STATS; i++)
		if (nri_stat_info[i].title)
			seq_buf_printf(s, " %*llu", nri_stat_info[i].width,
				       *nri_stat(st, i));
	seq_buf_printf(s, " %8llu\n", inflight);
}

static void nri_format_stat(struct nri_ring *ring, struct seq_buf *s)
{
	struct nvme_ring_stats st;
	unsigned int i;
	char label[12];
	u64 total;
	u32 inf;

	seq_buf_printf(s, "ring %s state %s nsid %u node %d queues %u\n",
		       dev_name(&ring->dev), nri_state_name(ring),
		       ring->tgt.nsid, ring->numa_node, ring->nr_queues);
	seq_buf_printf(s, "%5s", "queue");
	for (i = 0; i < NRI_NR_STATS; i++)
		if (nri_stat_info[i].title)
			seq_buf_printf(s, " %*s", nri_stat_info[i].width,
				       nri_stat_info[i].title);
	seq_buf_printf(s, " %8s\n", "inflight");
	for (i = 0; i < ring->nr_queues; i++) {
		nri_queue_stats(ring->queues[i], &st, &inf);
		snprintf(label, sizeof(label), "%u", i);
		nri_stat_line(s, label, &st, inf);
	}
	nri_ring_totals(ring, &st, &total);
	nri_stat_line(s, "total", &st, total);
}

/*
 * One human-readable table: a line per queue and a total. A binary
 * attribute, as a ring with a queue per CPU outgrows the one page a text
 * attribute may return. Each read() formats the table afresh and returns
 * the part at its offset, so a reader that needs several calls (more than
 * a page, or small reads: busybox awk reads 256 bytes at first) may see a
 * line's counters from two moments. queues/<q>/stat has one moment a line.
 */
static ssize_t stat_read(struct file *file, struct kobject *kobj,
			 struct bin_attribute *attr, char *buf, loff_t off,
			 size_t count)
{
	struct nri_ring *ring = to_ring(kobj_to_dev(kobj));
	size_t size = NRI_STAT_LINE * (ring->nr_queues + 3) +
		      strlen(dev_name(&ring->dev));
	struct seq_buf s;
	ssize_t ret;
	char *tbl;

	tbl = kvmalloc(size, GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	seq_buf_init(&s, tbl, size);
	nri_format_stat(ring, &s);
	if (seq_buf_has_overflowed(&s)) {
		pr_warn("%s: stat: the table outgrew its %zu bytes\n",
			dev_name(&ring->dev), size);
		ret = -EFBIG;
	} else {
		ret = memory_read_from_buffer(buf, count, &off, tbl,
					      seq_buf_used(&s));
	}
	kvfree(tbl);
	return ret;
}
static BIN_ATTR_RO(stat, 0);

/* the fixed attributes, then the counters (nri_stats_init()), then NULL */
#define NRI_RING_FIXED_ATTRS	12
static struct attribute *nri_ring_attrs[NRI_RING_FIXED_ATTRS +
					NRI_NR_STATS + 1] = {
	&dev_attr_device.attr,
	&dev_attr_controller.attr,
	&dev_attr_path_changes.attr,
	&dev_attr_nsid.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_state.attr,
	&dev_attr_nr_queues.attr,
	&dev_attr_inflight.attr,
	&dev_attr_metadata_size.attr,
	&dev_attr_metadata_layout.attr,
	&dev_attr_pi_type.attr,
	&dev_attr_pi_check.attr,
};

static struct bin_attribute *nri_ring_bin_attrs[] = {
	&bin_attr_stat,
	NULL,
};

static const struct attribute_group nri_ring_group = {
	.attrs = nri_ring_attrs,
	.bin_attrs = nri_ring_bin_attrs,
};

const struct attribute_group *nri_ring_groups[] = {
	&nri_ring_group,
	NULL,
};

/* ---- queues/<q>/ ---- */

struct nri_queue_attr {
	struct attribute attr;
	ssize_t (*show)(struct nri_queue *nq, char *buf);
	ssize_t (*show_counter)(struct nri_queue *nq,
				const struct nri_queue_attr *a, char *buf);
	unsigned int stat;	/* counters: index in nri_stat_info[] */
};

static ssize_t nri_queue_attr_show(struct kobject *kobj,
				   struct attribute *attr, char *buf)
{
	struct nri_queue_attr *a = container_of(attr, struct nri_queue_attr,
						attr);
	struct nri_queue *nq = container_of(kobj, struct nri_queue, kobj);

	if (a->show_counter)
		return a->show_counter(nq, a, buf);
	return a->show(nq, buf);
}

static const struct sysfs_ops nri_queue_sysfs_ops = {
	.show = nri_queue_attr_show,
};

#define NRI_QUEUE_ATTR(_name)						\
static struct nri_queue_attr nri_queue_attr_##_name = {			\
	.attr = { .name = __stringify(_name), .mode = 0444 },		\
	.show = nri_queue_##_name##_show,				\
}

static ssize_t nri_queue_cpus_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(nq->cpus));
}
NRI_QUEUE_ATTR(cpus);

/* Those of them online now: none means the queue cannot submit. */
static ssize_t nri_queue_cpus_online_show(struct nri_queue *nq, char *buf)
{
	cpumask_var_t online;
	ssize_t ret;

	if (!zalloc_cpumask_var(&online, GFP_KERNEL))
		return -ENOMEM;
	cpumask_and(online, nq->cpus, cpu_online_mask);
	ret = sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(online));
	free_cpumask_var(online);
	return ret;
}
NRI_QUEUE_ATTR(cpus_online);

/* Where the queue's SQ poller runs; empty without one. */
static ssize_t nri_queue_sq_poll_cpus_show(struct nri_queue *nq, char *buf)
{
	if (!READ_ONCE(nq->poller))
		return sysfs_emit(buf, "\n");
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(nri_poller_cpus(nq)));
}
NRI_QUEUE_ATTR(sq_poll_cpus);

/* The hardware contexts of the ring's path: they change with it. */
static ssize_t nri_queue_hctx_show(struct nri_queue *nq, char *buf)
{
	ssize_t ret;

	mutex_lock(&nq->ring->path_lock);
	ret = sysfs_emit(buf, "%*pbl\n", NRI_MAX_HCTX, nq->hctxs);
	mutex_unlock(&nq->ring->path_lock);
	return ret;
}
NRI_QUEUE_ATTR(hctx);

/* NVMe I/O queue ids: hardware context h is served by queue h + 1. */
static ssize_t nri_queue_nvme_qid_show(struct nri_queue *nq, char *buf)
{
	unsigned int h;
	int n = 0;

	mutex_lock(&nq->ring->path_lock);
	for_each_set_bit(h, nq->hctxs, NRI_MAX_HCTX)
		n += sysfs_emit_at(buf, n, "%s%u", n ? "," : "", h + 1);
	mutex_unlock(&nq->ring->path_lock);
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
NRI_QUEUE_ATTR(nvme_qid);

/* The controller of those queues: the ring's path's. */
static ssize_t nri_queue_controller_show(struct nri_queue *nq, char *buf)
{
	return nri_path_ctrl_show(nq->ring, buf);
}
NRI_QUEUE_ATTR(controller);

static ssize_t nri_queue_numa_node_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%d\n", nq->node);
}
NRI_QUEUE_ATTR(numa_node);

static ssize_t nri_queue_huge_pages_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%u\n", nq->huge_chunks);
}
NRI_QUEUE_ATTR(huge_pages);

static ssize_t nri_queue_sq_entries_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%u\n", nri_sq_entries(&nq->rings));
}
NRI_QUEUE_ATTR(sq_entries);

static ssize_t nri_queue_cq_entries_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%u\n", nri_cq_entries(&nq->rings));
}
NRI_QUEUE_ATTR(cq_entries);

static ssize_t nri_queue_data_size_show(struct nri_queue *nq, char *buf)
{
	return sysfs_emit(buf, "%llu\n", nq->layout.data_size);
}
NRI_QUEUE_ATTR(data_size);

static ssize_t nri_queue_counter_show(struct nri_queue *nq,
				      const struct nri_queue_attr *a,
				      char *buf)
{
	struct nvme_ring_stats st;
	u32 inflight;

	nri_queue_stats(nq, &st, &inflight);
	return sysfs_emit(buf, "%llu\n", *nri_stat(&st, a->stat));
}

/* made from nri_stat_info[] by nri_stats_init() */
static struct nri_queue_attr nri_queue_counter_attrs[NRI_NR_STATS];

static ssize_t nri_queue_inflight_show(struct nri_queue *nq, char *buf)
{
	struct nvme_ring_stats st;
	u32 inflight;

	nri_queue_stats(nq, &st, &inflight);
	return sysfs_emit(buf, "%u\n", inflight);
}
NRI_QUEUE_ATTR(inflight);

/*
 * Every counter of the queue on one line, from one snapshot under the
 * queue's lock: the ABI's order (that of the counter files), inflight
 * after bytes_written; new counters go at the end. sysfs formats a text
 * attribute once per read from offset 0, so however small its read()s,
 * a reader sees one moment: submitted = completed + inflight holds on
 * every line, which separate files read one after another cannot give.
 */
static ssize_t nri_queue_stat_show(struct nri_queue *nq, char *buf)
{
	struct nvme_ring_stats st;
	unsigned int i;
	u32 inflight;
	int n = 0;

	nri_queue_stats(nq, &st, &inflight);
	for (i = 0; i < NRI_NR_STATS; i++) {
		n += sysfs_emit_at(buf, n, "%s%llu", i ? " " : "",
				   *nri_stat(&st, i));
		if (nri_stat_info[i].offset ==
		    offsetof(struct nvme_ring_stats, bytes_written))
			n += sysfs_emit_at(buf, n, " %u", inflight);
	}
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
NRI_QUEUE_ATTR(stat);

/* the fixed attributes, then the counters (nri_stats_init()), then NULL */
#define NRI_QUEUE_FIXED_ATTRS	13
static struct attribute *nri_queue_attrs[NRI_QUEUE_FIXED_ATTRS +
					 NRI_NR_STATS + 1] = {
	&nri_queue_attr_cpus.attr,
	&nri_queue_attr_cpus_online.attr,
	&nri_queue_attr_controller.attr,
	&nri_queue_attr_hctx.attr,
	&nri_queue_attr_nvme_qid.attr,
	&nri_queue_attr_numa_node.attr,
	&nri_queue_attr_huge_pages.attr,
	&nri_queue_attr_sq_entries.attr,
	&nri_queue_attr_cq_entries.attr,
	&nri_queue_attr_data_size.attr,
	&nri_queue_attr_inflight.attr,
	&nri_queue_attr_sq_poll_cpus.attr,
	&nri_queue_attr_stat.attr,
};
ATTRIBUTE_GROUPS(nri_queue);

/* The counters' sysfs files, ring and queue, from nri_stat_info[]. */
void nri_stats_init(void)
{
	unsigned int i;

	for (i = 0; i < NRI_NR_STATS; i++) {
		struct dev_ext_attribute *ra = &nri_ring_counter_attrs[i];
		struct nri_queue_attr *qa = &nri_queue_counter_attrs[i];

		ra->attr.attr.name = nri_stat_info[i].name;
		ra->attr.attr.mode = 0444;
		ra->attr.show = nri_ring_counter_show;
		ra->var = (void *)(uintptr_t)i;
		nri_ring_attrs[NRI_RING_FIXED_ATTRS + i] = &ra->attr.attr;

		qa->attr.name = nri_stat_info[i].name;
		qa->attr.mode = 0444;
		qa->show_counter = nri_queue_counter_show;
		qa->stat = i;
		nri_queue_attrs[NRI_QUEUE_FIXED_ATTRS + i] = &qa->attr;
	}
}

const struct kobj_type nri_queue_ktype = {
	.sysfs_ops	= &nri_queue_sysfs_ops,
	.default_groups	= nri_queue_groups,
	.release	= nri_queue_release,
};

int nri_sysfs_add_queues(struct nri_ring *ring)
{
	unsigned int i;
	int ret;

	ring->queues_kobj = kobject_create_and_add("queues", &ring->dev.kobj);
	if (!ring->queues_kobj)
		return -ENOMEM;
	for (i = 0; i < ring->nr_queues; i++) {
		ret = kobject_add(&ring->queues[i]->kobj, ring->queues_kobj,
				  "%u", i);
		if (ret) {
			pr_err("%s: cannot add queue %u to sysfs: error %d\n",
			       dev_name(&ring->dev), i, ret);
			return ret;
		}
	}
	return 0;
}

void nri_sysfs_del_queues(struct nri_ring *ring)
{
	unsigned int i;

	if (!ring->queues_kobj)
		return;
	for (i = 0; i < ring->nr_queues; i++)
		if (ring->queues[i]->kobj.state_in_sysfs)
			kobject_del(&ring->queues[i]->kobj);
	kobject_put(ring->queues_kobj);
	ring->queues_kobj = NULL;
}
