// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: ring construction and teardown.
 *
 * A ring is made of queues. Each queue owns one region of memory, allocated
 * on the ring's NUMA node in 2 MiB compound chunks (order-0 pages of the same
 * node when huge pages are short and the administrator allows it), zeroed,
 * and mapped contiguously into the kernel with vmap(). The same pages are
 * inserted into client mappings; each mapping holds its own page references,
 * so the memory outlives the ring for as long as a client keeps it mapped.
 *
 * Lifetime: the ring's struct device is its reference count. A named ring's
 * configfs item and every open file hold a reference. nri_ring_disable()
 * stops submission, waits for every in-flight command, then lets go of the
 * namespace; the memory goes with the last reference.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "nri.h"
#include "nri_trace.h"

static DEFINE_IDA(nri_anon_ida);

/* Rings and ring memory alive, so that unloading can tell of a leak. */
atomic_t nri_rings_alive = ATOMIC_INIT(0);
atomic_long_t nri_pages_alive = ATOMIC_LONG_INIT(0);

struct nri_config *nri_config_alloc(void)
{
	struct nri_config *cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);

	if (!cfg)
		return NULL;
	cfg->numa_node = NUMA_NO_NODE;
	cfg->sq_entries = NRI_DEF_ENTRIES;
	cfg->cq_entries = NRI_DEF_ENTRIES;
	cfg->data_size = NRI_DEF_DATA_SIZE;
	cfg->uid = GLOBAL_ROOT_UID;
	cfg->gid = GLOBAL_ROOT_GID;
	cfg->mode = 0600;
	cfg->sq_poll_idle_ms = 1000;
	cfg->timeout_min_ms = NRI_DEF_TIMEOUT_MIN_MS;
	cfg->timeout_max_ms = NRI_DEF_TIMEOUT_MAX_MS;
	cfg->teardown_timeout_ms = NRI_DEF_TEARDOWN_MS;
	cfg->iostats = true;
	nri_config_default_opcodes(cfg);
	return cfg;
}

/* A copy of a configfs item's configuration, for the ring it enables. */
struct nri_config *nri_config_dup(const struct nri_config *src)
{
	struct nri_config *cfg = kmemdup(src, sizeof(*src), GFP_KERNEL);

	if (cfg)
		cfg->nvme_file = NULL;
	return cfg;
}

void nri_config_free(struct nri_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->nvme_file)
		fput(cfg->nvme_file);
	kfree(cfg);
}

/*
 * The rules for sizes and counts, used by configfs as values are written
 * and again at ring creation (SETUP takes its values there): 0 or an
 * errno, having said what is wrong with which value.
 */
int nri_check_entries(const char *ring, const char *attr, u32 *v)
{
	if (!is_power_of_2(*v) || *v < NVME_RING_IO_MIN_ENTRIES ||
	    *v > NVME_RING_IO_MAX_ENTRIES) {
		pr_err("%s: %s: %u is not a power of two in [%u, %u]\n", ring,
		       attr, *v, NVME_RING_IO_MIN_ENTRIES,
		       NVME_RING_IO_MAX_ENTRIES);
		return -EINVAL;
	}
	return 0;
}

/* Rounded up to whole 2 MiB chunks. */
int nri_check_data_size(const char *ring, const char *attr, u64 *v)
{
	if (!*v || *v > NVME_RING_IO_MAX_DATA_SIZE) {
		pr_err("%s: %s: %llu is outside [1, %llu]\n", ring, attr, *v,
		       NVME_RING_IO_MAX_DATA_SIZE);
		return -EINVAL;
	}
	*v = round_up(*v, NRI_CHUNK_SIZE);
	return 0;
}

/* A command timeout bound, in milliseconds. */
int nri_check_timeout(const char *ring, const char *attr, u32 *v)
{
	if (*v < NRI_TIMEOUT_LIMIT_MS || *v > NRI_TIMEOUT_CEILING_MS) {
		pr_err("%s: %s: %u is outside [%u, %u] ms\n", ring, attr, *v,
		       NRI_TIMEOUT_LIMIT_MS, NRI_TIMEOUT_CEILING_MS);
		return -EINVAL;
	}
	return 0;
}

/* How long disabling waits before aborting, in milliseconds. */
int nri_check_teardown_timeout(const char *ring, const char *attr, u32 *v)
{
	if (!*v || *v > NRI_TIMEOUT_CEILING_MS) {
		pr_err("%s: %s: %u is outside [1, %u] ms\n", ring, attr, *v,
		       NRI_TIMEOUT_CEILING_MS);
		return -EINVAL;
	}
	return 0;
}

/* 0: one queue per hardware queue serving the ring's CPUs. */
int nri_check_nr_queues(const char *ring, const char *attr, u32 *v)
{
	u32 limit = min_t(u32, NVME_RING_IO_MAX_QUEUES, num_possible_cpus());

	if (*v > limit) {
		pr_err("%s: %s: %u is above the limit %u (0 = one per hardware queue)\n",
		       ring, attr, *v, limit);
		return -EINVAL;
	}
	return 0;
}

static const struct {
	u8 opc;
	const char *name;
} nri_opcode_names[] = {
	{ nvme_cmd_flush,	"flush" },
	{ nvme_cmd_write,	"write" },
	{ nvme_cmd_read,	"read" },
	{ nvme_cmd_write_uncor,	"write_uncor" },
	{ nvme_cmd_compare,	"compare" },
	{ nvme_cmd_write_zeroes, "write_zeroes" },
	{ nvme_cmd_dsm,		"dsm" },
	{ nvme_cmd_verify,	"verify" },
	{ 0x19,			"copy" },
};

void nri_config_default_opcodes(struct nri_config *cfg)
{
	unsigned long *set = cfg->opcodes.allowed;

	memset(&cfg->opcodes, 0, sizeof(cfg->opcodes));
	__set_bit(nvme_cmd_read, set);
	__set_bit(nvme_cmd_write, set);
	__set_bit(nvme_cmd_flush, set);
	__set_bit(nvme_cmd_write_zeroes, set);
	__set_bit(nvme_cmd_dsm, set);
	__set_bit(nvme_cmd_compare, set);
}

int nri_opcode_name(u8 opc, char *buf, size_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nri_opcode_names); i++)
		if (nri_opcode_names[i].opc == opc)
			return scnprintf(buf, len, "%s", nri_opcode_names[i].name);
	return scnprintf(buf, len, "0x%02x", opc);
}

/*
 * Parse one opcode, by name or number. The fabrics opcode and anything above
 * 0xff are refused: rings carry NVM command set I/O commands only.
 */
int nri_opcode_parse(const char *tok, u8 *opc)
{
	unsigned int i, v;

	for (i = 0; i < ARRAY_SIZE(nri_opcode_names); i++) {
		if (!strcmp(tok, nri_opcode_names[i].name)) {
			*opc = nri_opcode_names[i].opc;
			return 0;
		}
	}
	if (kstrtouint(tok, 0, &v))
		return -EINVAL;
	if (v > 0xff)
		return -ERANGE;
	if (v == nvme_fabrics_command)
		return -EPERM;
	*opc = v;
	return 0;
}

/*
 * A warning about what a ring's client did (a refused command, corrupt
 * indices), prefixed with the ring's name and rate limited per ring, so
 * that one noisy client does not silence the others.
 */
void nri_warn(struct nri_ring *ring, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (!__ratelimit(&ring->warn_rs))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn("%s: %pV", dev_name(&ring->dev), &vaf);
	va_end(args);
}

static const char *nri_state_str(int state)
{
	switch (state) {
	case NRI_STATE_LIVE:
		return "live";
	case NRI_STATE_DEAD:
		return "dead";
	default:
		return "disabled";
	}
}

const char *nri_state_name(struct nri_ring *ring)
{
	return nri_state_str(atomic_read(&ring->state));
}

/* Every change of a ring's state goes through here, for the tracepoint. */
static void nri_set_state(struct nri_ring *ring, int to)
{
	int from = atomic_xchg(&ring->state, to);

	if (from != to)
		trace_nvme_ring_io_state(dev_name(&ring->dev),
					 nri_state_str(from),
					 nri_state_str(to));
}

/* A live ring's device went away; true for the caller that made it so. */
bool nri_mark_dead(struct nri_ring *ring)
{
	if (atomic_cmpxchg(&ring->state, NRI_STATE_LIVE, NRI_STATE_DEAD) !=
	    NRI_STATE_LIVE)
		return false;
	trace_nvme_ring_io_state(dev_name(&ring->dev), "live", "dead");
	return true;
}

void nri_queue_stats(struct nri_queue *nq, struct nvme_ring_stats *st, u32 *inflight)
{
	unsigned long flags;

	spin_lock_irqsave(&nq->cq_lock, flags);
	*st = nq->stats;
	/* a command counted meanwhile moves from reserved to submitted */
	*inflight = nq->inflight - atomic_read(&nq->reserved);
	st->submitted = st->completed + *inflight;
	spin_unlock_irqrestore(&nq->cq_lock, flags);
}

/* ---- memory ---- */

static void nri_queue_free_mem(struct nri_queue *nq)
{
	unsigned long c, j;

	if (nq->base)
		vunmap(nq->base);
	if (nq->pages) {
		/*
		 * Drop our reference on each header page, and on each chunk:
		 * once on a 2 MiB compound page (its tails are not pages of
		 * their own), once per page otherwise. Client mappings hold
		 * references of their own.
		 */
		for (j = 0; j < nq->hdr_pages; j++) {
			if (nq->pages[j]) {
				put_page(nq->pages[j]);
				atomic_long_dec(&nri_pages_alive);
			}
		}
		for (c = 0; c < nq->nr_chunks; c++) {
			struct page **pp = nq->pages + nq->hdr_pages +
					   (c << NRI_CHUNK_ORDER);

			if (pp[0] && PageHead(pp[0])) {
				put_page(pp[0]);
				atomic_long_sub(1UL << NRI_CHUNK_ORDER,
						&nri_pages_alive);
				continue;
			}
			for (j = 0; j < (1UL << NRI_CHUNK_ORDER); j++) {
				if (pp[j]) {
					put_page(pp[j]);
					atomic_long_dec(&nri_pages_alive);
				}
			}
		}
		kvfree(nq->pages);
	}
	nq->base = NULL;
	nq->pages = NULL;
}

/*
 * The header (indices, SQ, CQ) gets order-0 pages of its own; the data
 * area whole 2 MiB chunks.
 */
static int nri_queue_alloc_mem(struct nri_queue *nq, bool need_huge)
{
	struct nri_ring *ring = nq->ring;
	/* charged to the creator's memory cgroup; failing, never OOM-killing */
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_THISNODE |
			  __GFP_NOWARN | __GFP_NORETRY;
	unsigned long c, j;

	nq->hdr_pages = nq->layout.data_off >> PAGE_SHIFT;
	nq->nr_chunks = nq->layout.data_size >> 21;
	nq->nr_pages = nq->hdr_pages + (nq->nr_chunks << NRI_CHUNK_ORDER);
	nq->pages = nri_kvcalloc_node(nq->nr_pages, sizeof(*nq->pages),
				      GFP_KERNEL_ACCOUNT, ring->numa_node);
	if (!nq->pages)
		return -ENOMEM;

	for (j = 0; j < nq->hdr_pages; j++) {
		nq->pages[j] = alloc_pages_node(ring->numa_node, gfp, 0);
		if (!nq->pages[j]) {
			pr_err("%s: queue %u: out of memory on node %d\n",
			       dev_name(&ring->dev), nq->idx, ring->numa_node);
			return -ENOMEM;
		}
		atomic_long_inc(&nri_pages_alive);
	}

	for (c = 0; c < nq->nr_chunks; c++) {
		struct page **pp = nq->pages + nq->hdr_pages +
				   (c << NRI_CHUNK_ORDER);
		struct page *p;

		p = alloc_pages_node(ring->numa_node, gfp | __GFP_COMP,
				     NRI_CHUNK_ORDER);
		if (p) {
			for (j = 0; j < (1UL << NRI_CHUNK_ORDER); j++)
				pp[j] = p + j;
			nq->huge_chunks++;
			atomic_long_add(1UL << NRI_CHUNK_ORDER, &nri_pages_alive);
			continue;
		}
		if (need_huge) {
			pr_err("%s: queue %u: no 2 MiB page free on node %d (hugepages=1)\n",
			       dev_name(&ring->dev), nq->idx, ring->numa_node);
			return -ENOMEM;
		}
		for (j = 0; j < (1UL << NRI_CHUNK_ORDER); j++) {
			pp[j] = alloc_pages_node(ring->numa_node, gfp, 0);
			if (pp[j])
				atomic_long_inc(&nri_pages_alive);
			if (!pp[j]) {
				pr_err("%s: queue %u: out of memory on node %d\n",
				       dev_name(&ring->dev), nq->idx,
				       ring->numa_node);
				return -ENOMEM;
			}
		}
	}

	nq->base = vmap(nq->pages, nq->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!nq->base)
		return -ENOMEM;
	nq->node = page_to_nid(nq->pages[0]);
	return 0;
}

/*
 * The queue region: the indices page, the SQ descriptors, the CQ entries
 * (page aligned), then the data area, whole 2 MiB chunks.
 */
static int nri_queue_layout(struct nri_queue *nq, struct nri_config *cfg)
{
	struct nvme_ring_layout *l = &nq->layout;
	u64 hdr, total;

	BUILD_BUG_ON(sizeof(struct nri_idx_page) > NRI_IDX_PAGE_SIZE);
	l->sq.producer = offsetof(struct nri_idx_page, sq.producer);
	l->sq.consumer = offsetof(struct nri_idx_page, sq.consumer);
	l->sq.flags = offsetof(struct nri_idx_page, sq.flags);
	l->cq.producer = offsetof(struct nri_idx_page, cq.producer);
	l->cq.consumer = offsetof(struct nri_idx_page, cq.consumer);
	l->cq.flags = offsetof(struct nri_idx_page, cq.flags);
	l->sq.desc = NRI_IDX_PAGE_SIZE;
	l->cq.desc = l->sq.desc + (u64)cfg->sq_entries * sizeof(u64);
	hdr = PAGE_ALIGN(l->cq.desc +
			 (u64)cfg->cq_entries * sizeof(struct nvme_ring_cqe));
	l->data_off = hdr;
	l->data_size = round_up(cfg->data_size, NRI_CHUNK_SIZE);
	total = hdr + l->data_size;
	l->mmap_offset = (u64)nq->idx * NVME_RING_IO_MMAP_STRIDE;
	l->mmap_size = total;
	return 0;
}

static void nri_queue_bind_pointers(struct nri_queue *nq, struct nri_config *cfg)
{
	struct nvme_ring_layout *l = &nq->layout;
	u8 *b = nq->base;

	nq->rings.idx = (struct nri_idx_page *)b;
	nq->rings.sq_desc = (u64 *)(b + l->sq.desc);
	nq->rings.cqes = (struct nvme_ring_cqe *)(b + l->cq.desc);
	nq->rings.sq_mask = cfg->sq_entries - 1;
	nq->rings.cq_mask = cfg->cq_entries - 1;
	nq->data = b + l->data_off;
}

static int nri_queue_alloc_cmds(struct nri_queue *nq, struct nri_config *cfg)
{
	struct nri_target *t = &nq->ring->tgt;
	struct request_queue *q = nri_path_fixed(nq->ring)->q;
	u32 depth = q->tag_set ? q->tag_set->queue_depth : 64;
	u32 i;

	/* Never more in flight than the CQ holds or the device queue takes. */
	nq->nr_cmds = min(cfg->cq_entries, depth);
	nq->cmd_stride = ALIGN(struct_size_t(struct nri_cmd, bvecs, t->max_vecs),
			       L1_CACHE_BYTES);
	nq->cmds = kvzalloc_node(nq->cmd_stride * nq->nr_cmds, GFP_KERNEL_ACCOUNT,
				 nq->ring->numa_node);
	nq->free_cmds = nri_kvcalloc_node(nq->nr_cmds, sizeof(u32),
					  GFP_KERNEL_ACCOUNT,
					  nq->ring->numa_node);
	if (!nq->cmds || !nq->free_cmds)
		return -ENOMEM;
	for (i = 0; i < nq->nr_cmds; i++) {
		nri_cmd_at(nq, i)->nq = nq;
		nri_cmd_at(nq, i)->idx = i;
		nq->free_cmds[i] = i;
	}
	nq->nr_free = nq->nr_cmds;
	return 0;
}

void nri_queue_release(struct kobject *kobj)
{
	struct nri_queue *nq = container_of(kobj, struct nri_queue, kobj);

	nri_queue_free_mem(nq);
	kvfree(nq->cmds);
	kvfree(nq->free_cmds);
	bitmap_free(nq->hctxs);
	free_cpumask_var(nq->cpus);
	kfree(nq);
}

static struct nri_queue *nri_queue_alloc(struct nri_ring *ring,
					 unsigned int idx)
{
	struct nri_queue *nq;

	nq = kzalloc_node(sizeof(*nq), GFP_KERNEL_ACCOUNT, ring->numa_node);
	if (!nq)
		return NULL;
	nq->ring = ring;
	nq->idx = idx;
	nq->node = NUMA_NO_NODE;
	mutex_init(&nq->sq_lock);
	spin_lock_init(&nq->cq_lock);
	init_waitqueue_head(&nq->wait);
	INIT_LIST_HEAD(&nq->uring_waiters);
	nq->hybrid_us = 16;
	nq->hctxs = bitmap_zalloc(NRI_MAX_HCTX, GFP_KERNEL);
	if (!nq->hctxs || !zalloc_cpumask_var(&nq->cpus, GFP_KERNEL)) {
		bitmap_free(nq->hctxs);
		kfree(nq);
		return NULL;
	}
	return nq;
}

/* ---- CPU and NUMA placement ---- */

/* @node itself when it has memory, else the nearest node that has. */
int nri_nearest_mem_node(int node)
{
	int n, best = NUMA_NO_NODE, dist = INT_MAX;

	if (node_state(node, N_MEMORY))
		return node;
	for_each_node_state(n, N_MEMORY) {
		if (node_distance(node, n) < dist) {
			dist = node_distance(node, n);
			best = n;
		}
	}
	return best;
}

static int nri_resolve_placement(struct nri_ring *ring, struct nri_config *cfg,
				 struct cpumask *cpus)
{
	const char *name = dev_name(&ring->dev);
	int node = cfg->numa_node;
	unsigned int cpu;

	if (node != NUMA_NO_NODE) {
		if (node < 0 || node >= nr_node_ids || !node_online(node)) {
			pr_err("%s: numa_node: node %d is not online\n", name,
			       node);
			return -EINVAL;
		}
		if (!node_state(node, N_MEMORY)) {
			pr_err("%s: numa_node: node %d has no memory\n", name,
			       node);
			return -EINVAL;
		}
	}

	if (!cpumask_empty(&cfg->cpus)) {
		for_each_cpu(cpu, &cfg->cpus) {
			if (!cpu_online(cpu)) {
				pr_err("%s: cpus: CPU %u is offline\n", name,
				       cpu);
				return -EINVAL;
			}
		}
		cpumask_copy(cpus, &cfg->cpus);
	}
	if (!cpumask_empty(&cfg->sq_poll_cpus)) {
		if (!cfg->sq_poll) {
			pr_err("%s: sq_poll_cpus %*pbl: the ring has no SQ poller (sq_poll=0)\n",
			       name, cpumask_pr_args(&cfg->sq_poll_cpus));
			return -EINVAL;
		}
		for_each_cpu(cpu, &cfg->sq_poll_cpus) {
			if (!cpu_online(cpu)) {
				pr_err("%s: sq_poll_cpus: CPU %u is offline\n",
				       name, cpu);
				return -EINVAL;
			}
		}
	}

	if (node == NUMA_NO_NODE) {
		int dnode = ring->tgt.node;

		if (dnode != NUMA_NO_NODE && node_state(dnode, N_MEMORY) &&
		    (cpumask_empty(cpus) ||
		     cpumask_intersects(cpus, cpumask_of_node(dnode))))
			node = dnode;
		else if (!cpumask_empty(cpus))
			node = cpu_to_node(cpumask_first(cpus));
		else
			node = cpu_to_node(cpumask_first(cpu_online_mask));
	}

	if (cpumask_empty(cpus)) {
		cpumask_and(cpus, cpumask_of_node(node), cpu_online_mask);
		if (cpumask_empty(cpus)) {
			pr_err("%s: cpus: node %d has no online CPU; set cpus\n",
			       name, node);
			return -EINVAL;
		}
	}
	/* automatic placement for a memoryless node's CPUs: nearest memory */
	if (cfg->numa_node == NUMA_NO_NODE)
		node = nri_nearest_mem_node(node);
	if (node == NUMA_NO_NODE || !node_state(node, N_MEMORY)) {
		pr_err("%s: numa_node: node %d has no memory\n", name, node);
		return -EINVAL;
	}
	ring->numa_node = node;
	return 0;
}

/*
 * Share the ring's CPUs out between its queues. By default there is one
 * queue per hardware context that serves the CPUs, holding exactly that
 * context's CPUs. Otherwise the CPUs, ordered by hardware context, are cut
 * into nr_queues runs as even as possible.
 */
static int nri_split_cpus(struct nri_ring *ring, struct nri_config *cfg,
			  const struct cpumask *cpus)
{
	const char *name = dev_name(&ring->dev);
	struct nri_path *p = nri_path_fixed(ring);
	unsigned int ncpu = cpumask_weight(cpus);
	unsigned int *order, n = 0, i, h, nq, groups = 0;
	unsigned long *seen;
	unsigned int cpu;
	int ret = 0;

	order = kcalloc(ncpu, sizeof(*order), GFP_KERNEL);
	seen = bitmap_zalloc(NRI_MAX_HCTX, GFP_KERNEL);
	if (!order || !seen) {
		ret = -ENOMEM;
		goto out;
	}

	for (h = 0; h < NRI_MAX_HCTX; h++) {
		for_each_cpu(cpu, cpus) {
			int hc = nri_target_hctx_of_cpu(&ring->tgt, p, cpu);

			if (hc < 0 || hc >= NRI_MAX_HCTX) {
				pr_err("%s: cpus: CPU %u has no hardware queue\n",
				       name, cpu);
				ret = -EINVAL;
				goto out;
			}
			if (hc != h)
				continue;
			order[n++] = cpu;
			if (!test_and_set_bit(h, seen))
				groups++;
		}
	}

	nq = cfg->nr_queues ? cfg->nr_queues : groups;
	if (nq > ncpu) {
		pr_err("%s: nr_queues: %u queues need at least %u CPUs, cpus has %u\n",
		       name, nq, nq, ncpu);
		ret = -EINVAL;
		goto out;
	}

	ring->queues = kcalloc(nq, sizeof(*ring->queues), GFP_KERNEL);
	if (!ring->queues) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nq; i++) {
		ring->queues[i] = nri_queue_alloc(ring, i);
		if (!ring->queues[i]) {
			ret = -ENOMEM;
			goto out;
		}
		kobject_init(&ring->queues[i]->kobj, &nri_queue_ktype);
		ring->nr_queues = i + 1;
	}

	for (i = 0; i < n; i++) {
		unsigned int qi;

		if (!cfg->nr_queues) {
			/* queue index = rank of this CPU's hardware context */
			int hc = nri_target_hctx_of_cpu(&ring->tgt, p,
							order[i]);

			qi = bitmap_weight(seen, hc);
		} else {
			qi = (u64)i * nq / n;
		}
		cpumask_set_cpu(order[i], ring->queues[qi]->cpus);
		__set_bit(nri_target_hctx_of_cpu(&ring->tgt, p, order[i]),
			  ring->queues[qi]->hctxs);
	}
	for (i = 0; i < nq; i++)
		ring->queues[i]->nr_hw_queues =
			bitmap_weight(ring->queues[i]->hctxs, NRI_MAX_HCTX);
out:
	bitmap_free(seen);
	kfree(order);
	return ret;
}

/* ---- ring ---- */

/* The live gate's last user has left: teardown may go on. */
static void nri_ring_drained(struct percpu_ref *ref)
{
	struct nri_ring *ring = container_of(ref, struct nri_ring, live);

	complete(&ring->drained);
}

static void nri_ring_release(struct device *dev)
{
	struct nri_ring *ring = container_of(dev, struct nri_ring, dev);
	unsigned int i;

	cancel_delayed_work_sync(&ring->path_work);
	percpu_ref_exit(&ring->live);
	ratelimit_state_exit(&ring->warn_rs);
	for (i = 0; i < ring->nr_queues; i++)
		kobject_put(&ring->queues[i]->kobj);
	kfree(ring->queues);
	nri_target_close(&ring->tgt);
	if (ring->dev.devt)
		nri_minor_put(MINOR(ring->dev.devt));
	if (ring->anon_id >= 0)
		ida_free(&nri_anon_ida, ring->anon_id);
	nri_config_free(ring->cfg);
	kfree(ring);
	atomic_dec(&nri_rings_alive);
}

/*
 * The driver brackets a passthrough command whose effects change the
 * namespace inventory or capabilities or the controller, or that needs
 * the other commands stopped, with a freeze and a rescan
 * (nvme_passthru_start/end()). A ring's commands complete in interrupt
 * context with no such bracket: refuse to allow those opcodes at all.
 */
#define NRI_EFFECTS_REFUSED	(NVME_CMD_EFFECTS_NCC | NVME_CMD_EFFECTS_NIC | \
				 NVME_CMD_EFFECTS_CCC | NVME_CMD_EFFECTS_CSE_MASK)

static int nri_check_effects(struct nri_ring *ring, struct nri_config *cfg)
{
	unsigned int opc;
	u32 effects;

	for_each_set_bit(opc, cfg->opcodes.allowed, NRI_OPC_BITS) {
		effects = nri_nvme_io_effects(nri_path_fixed(ring)->ns, opc);
		if (effects & NRI_EFFECTS_REFUSED) {
			pr_err("%s: opcodes: the controller says opcode 0x%02x changes namespaces or the controller or needs I/O stopped (command effects 0x%08x), which a ring cannot do\n",
			       dev_name(&ring->dev), opc, effects);
			return -EPERM;
		}
	}
	return 0;
}

static int nri_validate_config(struct nri_ring *ring, struct nri_config *cfg)
{
	const char *name = dev_name(&ring->dev);
	struct nri_target *t = &ring->tgt;
	int ret;

	ret = nri_check_entries(name, "sq_entries", &cfg->sq_entries) ?:
	      nri_check_entries(name, "cq_entries", &cfg->cq_entries) ?:
	      nri_check_data_size(name, "data_size", &cfg->data_size) ?:
	      nri_check_nr_queues(name, "nr_queues", &cfg->nr_queues) ?:
	      nri_check_timeout(name, "timeout_min_ms", &cfg->timeout_min_ms) ?:
	      nri_check_timeout(name, "timeout_max_ms", &cfg->timeout_max_ms) ?:
	      nri_check_teardown_timeout(name, "teardown_timeout_ms",
					 &cfg->teardown_timeout_ms);
	if (ret)
		return ret;
	ret = nri_check_effects(ring, cfg);
	if (ret)
		return ret;
	if (cfg->pi_check && !t->pi_type) {
		pr_err("%s: pi_check: the namespace has no protection information\n",
		       name);
		return -EINVAL;
	}
	if (cfg->timeout_min_ms > cfg->timeout_max_ms) {
		pr_err("%s: timeout_min_ms %u is above timeout_max_ms %u\n",
		       name, cfg->timeout_min_ms, cfg->timeout_max_ms);
		return -EINVAL;
	}
	t->timeout = msecs_to_jiffies(clamp(jiffies_to_msecs(nri_path_fixed(ring)->q->rq_timeout),
					    cfg->timeout_min_ms,
					    cfg->timeout_max_ms));
	if (cfg->lba_start >= t->nr_lbas ||
	    cfg->lba_count > t->nr_lbas - cfg->lba_start) {
		pr_err("%s: lba_start/lba_count: %llu+%llu is beyond the namespace's %llu LBAs\n",
		       name, cfg->lba_start, cfg->lba_count, t->nr_lbas);
		return -ERANGE;
	}
	return 0;
}

/*
 * Build a ring from @cfg, which the ring takes over (also on failure).
 * Named rings get their device node and sysfs directory here.
 */
struct nri_ring *nri_ring_create(struct nri_config *cfg)
{
	cpumask_var_t cpus;
	struct nri_ring *ring;
	unsigned int i;
	int ret, minor;

	/*
	 * An anonymous ring has one client and lives as long as its file:
	 * an atomic gate, killed without waiting for an RCU grace period.
	 * A named ring's queues have a client each: per-CPU counts.
	 */
	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!ring || percpu_ref_init(&ring->live, nri_ring_drained,
				     cfg->anonymous ? PERCPU_REF_INIT_ATOMIC : 0,
				     GFP_KERNEL)) {
		kfree(ring);
		nri_config_free(cfg);
		return ERR_PTR(-ENOMEM);
	}
	init_completion(&ring->drained);
	mutex_init(&ring->path_lock);
	spin_lock_init(&ring->requeue_lock);
	INIT_LIST_HEAD(&ring->requeue_list);
	INIT_DELAYED_WORK(&ring->path_work, nri_path_work);
	atomic_inc(&nri_rings_alive);
	ring->cfg = cfg;
	ring->anon_id = -1;
	ratelimit_state_init(&ring->warn_rs, NRI_WARN_INTERVAL,
			     NRI_WARN_BURST);
	ratelimit_set_flags(&ring->warn_rs, RATELIMIT_MSG_ON_RELEASE);
	/* live while it is built; traced as such once it is (below) */
	atomic_set(&ring->state, NRI_STATE_LIVE);
	device_initialize(&ring->dev);
	ring->dev.class = &nri_class;
	ring->dev.type = &nri_ring_type;
	ring->dev.groups = nri_ring_groups;
	ring->dev.release = nri_ring_release;

	if (cfg->anonymous) {
		ring->anon_id = ida_alloc(&nri_anon_ida, GFP_KERNEL);
		if (ring->anon_id < 0) {
			ret = ring->anon_id;
			goto out_put;
		}
		ret = dev_set_name(&ring->dev, "anon.%d", ring->anon_id);
	} else {
		ret = dev_set_name(&ring->dev, "%s", cfg->name);
	}
	if (ret)
		goto out_put;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_put;
	}

	ret = nri_target_open(&ring->tgt, cfg->device, cfg->nvme_file,
			      cfg->numa_node);
	if (ret)
		goto out_free_cpus;
	ret = nri_validate_config(ring, cfg);
	if (ret)
		goto out_free_cpus;
	if (cfg->poll && !ring->tgt.poll_queues) {
		pr_err("%s: poll: %s has no poll queues (load nvme with poll_queues=N)\n",
		       dev_name(&ring->dev), cfg->device);
		ret = -EOPNOTSUPP;
		goto out_free_cpus;
	}
	ring->tgt.poll = cfg->poll;
	/* the ring's I/O in the disk's statistics (iostat), unless told not */
	if (cfg->iostats)
		ring->tgt.acct_bdev = ring->tgt.disk_bdev;
	ret = nri_resolve_placement(ring, cfg, cpus);
	if (ret)
		goto out_free_cpus;
	ret = nri_split_cpus(ring, cfg, cpus);
	if (ret)
		goto out_free_cpus;

	for (i = 0; i < ring->nr_queues; i++) {
		struct nri_queue *nq = ring->queues[i];

		nri_queue_layout(nq, cfg);
		ret = nri_queue_alloc_mem(nq, cfg->hugepages);
		if (ret)
			goto out_free_cpus;
		nri_queue_bind_pointers(nq, cfg);
		ret = nri_queue_alloc_cmds(nq, cfg);
		if (ret)
			goto out_free_cpus;
	}
	free_cpumask_var(cpus);

	if (!cfg->anonymous) {
		minor = nri_minor_get();
		if (minor < 0) {
			ret = minor;
			goto out_put;
		}
		ring->dev.devt = MKDEV(MAJOR(nri_devt), minor);
		cdev_init(&ring->cdev, &nri_fops);
		ring->cdev.owner = THIS_MODULE;
		ret = cdev_device_add(&ring->cdev, &ring->dev);
		if (ret) {
			pr_err("%s: cannot add device: error %d\n",
			       dev_name(&ring->dev), ret);
			goto out_put;
		}
		ring->cdev_added = true;
	} else {
		ret = device_add(&ring->dev);
		if (ret)
			goto out_put;
	}
	ring->dev_added = true;

	ret = nri_sysfs_add_queues(ring);
	if (ret)
		goto out_disable;

	/* last: a poller may submit as soon as it runs */
	if (cfg->sq_poll) {
		for (i = 0; i < ring->nr_queues; i++) {
			ret = nri_poller_start(ring->queues[i]);
			if (ret)
				goto out_disable;
		}
	}

	/* a head's ring watches its paths */
	if (ring->tgt.head && !ring->tgt.poll)
		queue_delayed_work(nri_wq, &ring->path_work, HZ);

	trace_nvme_ring_io_state(dev_name(&ring->dev), "disabled", "live");
	/* an administrator's ring is news; a client's anonymous one is not */
	if (cfg->anonymous)
		pr_debug("%s: bound to nsid %u\n", dev_name(&ring->dev),
			 ring->tgt.nsid);
	else
		pr_info("%s: bound to nsid %u%s%s%s, %u queue(s) on node %d, %llu bytes of data each\n",
			dev_name(&ring->dev), ring->tgt.nsid,
			ring->tgt.head ? " (a multipath head) through " : "",
			ring->tgt.head ? nri_path_fixed(ring)->ctrl : "",
			ring->tgt.head ? "'s path" : "",
			ring->nr_queues, ring->numa_node,
			ring->queues[0]->layout.data_size);
	return ring;

out_free_cpus:
	free_cpumask_var(cpus);
out_put:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory building the ring\n",
		       dev_name(&ring->dev) ?: cfg->name);
	/* never live to its users: nothing to trace */
	atomic_set(&ring->state, NRI_STATE_DISABLED);
	put_device(&ring->dev);
	return ERR_PTR(ret);
out_disable:
	nri_ring_disable(ring);
	nri_ring_put(ring);
	return ERR_PTR(ret);
}

static u32 nri_ring_inflight(struct nri_ring *ring)
{
	u32 n = 0;
	unsigned int i;

	for (i = 0; i < ring->nr_queues; i++)
		n += READ_ONCE(ring->queues[i]->inflight);
	return n;
}

/*
 * Wait for every command in flight to complete; a polled ring reaps them
 * itself, having no interrupts. After teardown_timeout_ms the commands
 * still out are aborted (and said so): a device that dropped one delays
 * teardown by the driver's abort and reset handling, not forever.
 */
static void nri_ring_wait_inflight(struct nri_ring *ring)
{
	unsigned long start = jiffies, deadline = start +
		msecs_to_jiffies(ring->cfg->teardown_timeout_ms);
	bool aborted = false;
	unsigned int i;
	u32 n;

	for (i = 0; i < ring->nr_queues; i++) {
		struct nri_queue *nq = ring->queues[i];

		while (READ_ONCE(nq->inflight)) {
			if (!aborted && time_after_eq(jiffies, deadline)) {
				aborted = true;
				n = nri_ring_inflight(ring);
				pr_warn("%s: %u command(s) still in flight %u ms after disabling: asking the driver to abort %u\n",
					dev_name(&ring->dev), n,
					jiffies_to_msecs(jiffies - start),
					nri_abort_inflight(ring));
			}
			if (ring->tgt.poll) {
				if (!__nri_poll_completions(nq))
					usleep_range(50, 100);
				continue;
			}
			/* in short sleeps: the hung task detector is right */
			wait_event_timeout(nq->wait,
					   READ_ONCE(nq->inflight) == 0,
					   aborted ? HZ :
					   clamp_t(long, deadline - jiffies, 1, HZ));
		}
		/* the last completer has let go of the queue's lock too */
		spin_lock_irq(&nq->cq_lock);
		spin_unlock_irq(&nq->cq_lock);
	}
	if (aborted)
		pr_warn("%s: the aborted commands have completed after %u ms\n",
			dev_name(&ring->dev), jiffies_to_msecs(jiffies - start));
}

/*
 * Stop the ring: no new submissions, every in-flight command completed,
 * the device node and sysfs directory gone, the namespace released. Open
 * files keep the ring (and its memory) until they close; their calls fail
 * with -ENODEV from now on.
 */
void nri_ring_disable(struct nri_ring *ring)
{
	unsigned int i;

	if (ring->torn_down)
		return;
	ring->torn_down = true;
	nri_set_state(ring, NRI_STATE_DISABLED);

	/*
	 * Close the live gate and wait for everyone inside it (submitters,
	 * io_uring commands, pollers of requests): from here on nobody
	 * starts a request or kicks a poller.
	 */
	percpu_ref_kill(&ring->live);
	/*
	 * A submitter inside may wait for a tag that only polling frees, and
	 * nobody else polls a closed gate: a polled ring reaps while it waits.
	 */
	while (!wait_for_completion_timeout(&ring->drained,
					    ring->tgt.poll ? 1 : HZ)) {
		for (i = 0; ring->tgt.poll && i < ring->nr_queues; i++)
			__nri_poll_completions(ring->queues[i]);
	}

	for (i = 0; i < ring->nr_queues; i++) {
		struct nri_queue *nq = ring->queues[i];

		nri_poller_stop(nq);
		wake_up_all(&nq->wait);
		nri_uring_cancel_all(nq, -ENODEV);
	}
	nri_ring_wait_inflight(ring);
	/* it may not start again: it enters the live gate first */
	cancel_delayed_work_sync(&ring->path_work);

	if (ring->dev_added) {
		nri_sysfs_del_queues(ring);
		if (ring->cdev_added)
			cdev_device_del(&ring->cdev, &ring->dev);
		else
			device_del(&ring->dev);
		ring->dev_added = false;
		ring->cdev_added = false;
	}
	nri_target_close(&ring->tgt);
	if (ring->cfg->anonymous)
		pr_debug("%s: disabled\n", dev_name(&ring->dev));
	else
		pr_info("%s: disabled\n", dev_name(&ring->dev));
}

void nri_ring_put(struct nri_ring *ring)
{
	put_device(&ring->dev);
}
