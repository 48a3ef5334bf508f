// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the control plane, /sys/kernel/config/nvme_ring_io/.
 *
 * mkdir makes a disabled ring instance; each attribute holds one value;
 * writing 1 to `enable` validates everything, builds the ring and publishes
 * /dev/nvme_ring/<name>; writing 0 (or rmdir) tears it down. While enabled,
 * every other attribute refuses writes with -EBUSY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "nri.h"

/* Longest value an attribute takes (a CPU or opcode list at most). */
#define NRI_ATTR_MAX	2048

struct nri_item {
	struct config_item	item;
	struct mutex		lock;	/* cfg and ring */
	struct nri_config	*cfg;
	struct nri_ring		*ring;	/* non-NULL while enabled */
};

static struct nri_item *to_nri_item(struct config_item *item)
{
	return container_of(item, struct nri_item, item);
}

/* Copy of the strings with the trailing newline of `echo` removed. */
static char *nri_strip(const char *page, size_t count)
{
	char *s = kmemdup_nul(page, count, GFP_KERNEL);

	if (s)
		strim(s);
	return s;
}

/*
 * Every store goes through here: the value (newline stripped) is handed to
 * @apply under the item lock, unless the ring is enabled.
 */
static ssize_t nri_store(struct config_item *item, const char *attr,
			 const char *page, size_t count,
			 int (*apply)(struct nri_config *cfg, const char *name,
				      char *val))
{
	struct nri_item *ni = to_nri_item(item);
	const char *name = config_item_name(item);
	char *val;
	int ret;

	val = nri_strip(page, count);
	if (!val)
		return -ENOMEM;
	if (strlen(val) > NRI_ATTR_MAX) {
		pr_err("%s: %s: a value of %zu bytes is longer than %d\n",
		       name, attr, strlen(val), NRI_ATTR_MAX);
		kfree(val);
		return -EINVAL;
	}
	mutex_lock(&ni->lock);
	if (ni->ring) {
		pr_err("%s: %s: ring is enabled; write 0 to enable first\n",
		       name, attr);
		ret = -EBUSY;
	} else {
		ret = apply(ni->cfg, name, val);
	}
	mutex_unlock(&ni->lock);
	kfree(val);
	return ret ? ret : count;
}

static int nri_parse_u64(const char *name, const char *attr, const char *val,
			 u64 *v)
{
	if (kstrtou64(val, 0, v)) {
		pr_err("%s: %s: '%.64s' is not a number\n", name, attr, val);
		return -EINVAL;
	}
	return 0;
}

static int nri_parse_entries(const char *name, const char *attr,
			     const char *val, u32 *out)
{
	u64 v;

	if (nri_parse_u64(name, attr, val, &v))
		return -EINVAL;
	if (!is_power_of_2(v) || v < NVME_RING_IO_MIN_ENTRIES ||
	    v > NVME_RING_IO_MAX_ENTRIES) {
		pr_err("%s: %s: %llu is not a power of two in [%u, %u]\n",
		       name, attr, v, NVME_RING_IO_MIN_ENTRIES,
		       NVME_RING_IO_MAX_ENTRIES);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int nri_apply_sq_entries(struct nri_config *cfg, const char *name,
				char *val)
{
	return nri_parse_entries(name, "sq_entries", val, &cfg->sq_entries);
}

static int nri_apply_cq_entries(struct nri_config *cfg, const char *name,
				char *val)
{
	return nri_parse_entries(name, "cq_entries", val, &cfg->cq_entries);
}

static int nri_apply_nr_queues(struct nri_config *cfg, const char *name,
			       char *val)
{
	u32 limit = min_t(u32, NVME_RING_IO_MAX_QUEUES, num_possible_cpus());
	u64 v;

	if (nri_parse_u64(name, "nr_queues", val, &v))
		return -EINVAL;
	if (v > limit) {
		pr_err("%s: nr_queues: %llu is above the limit %u (0 = one per hardware queue)\n",
		       name, v, limit);
		return -EINVAL;
	}
	cfg->nr_queues = v;
	return 0;
}

static int nri_apply_device(struct nri_config *cfg, const char *name,
			    char *val)
{
	struct nri_target t;
	int ret;

	if (!*val || strlen(val) >= sizeof(cfg->device)) {
		pr_err("%s: device: path '%.64s' is empty or longer than %zu\n",
		       name, val, sizeof(cfg->device) - 1);
		return -EINVAL;
	}
	/* Validate now: the namespace must exist and be an NVMe one. */
	ret = nri_target_open(&t, val, NULL);
	if (ret)
		return ret;
	nri_target_close(&t);
	strscpy(cfg->device, val, sizeof(cfg->device));
	return 0;
}

static int nri_apply_cpus(struct nri_config *cfg, const char *name, char *val)
{
	cpumask_var_t mask;
	unsigned int cpu;
	int ret;

	if (!*val) {
		pr_err("%s: cpus: empty CPU list (write auto for the default)\n",
		       name);
		return -EINVAL;
	}
	if (!strcmp(val, "auto")) {
		cpumask_clear(cfg->cpus);	/* the CPUs of the ring's node */
		return 0;
	}
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	ret = cpulist_parse(val, mask);
	if (ret) {
		pr_err("%s: cpus: '%.64s' is not a list of CPUs 0-%u\n", name,
		       val, nr_cpu_ids - 1);
		goto out;
	}
	ret = -EINVAL;
	if (cpumask_empty(mask)) {
		pr_err("%s: cpus: empty CPU list\n", name);
		goto out;
	}
	for_each_cpu(cpu, mask) {
		if (!cpu_online(cpu)) {
			pr_err("%s: cpus: CPU %u is offline\n", name, cpu);
			goto out;
		}
	}
	cpumask_copy(cfg->cpus, mask);
	ret = 0;
out:
	free_cpumask_var(mask);
	return ret;
}

static int nri_apply_numa_node(struct nri_config *cfg, const char *name,
			       char *val)
{
	int node;

	if (kstrtoint(val, 0, &node)) {
		pr_err("%s: numa_node: '%.64s' is not a number\n", name, val);
		return -EINVAL;
	}
	if (node != NUMA_NO_NODE &&
	    (node < 0 || node >= nr_node_ids || !node_online(node))) {
		pr_err("%s: numa_node: node %d is out of range (online nodes %*pbl, or -1)\n",
		       name, node, nodemask_pr_args(&node_states[N_ONLINE]));
		return -EINVAL;
	}
	if (node != NUMA_NO_NODE && !node_state(node, N_MEMORY)) {
		pr_err("%s: numa_node: node %d has no memory\n", name, node);
		return -EINVAL;
	}
	cfg->numa_node = node;
	return 0;
}

static int nri_apply_data_size(struct nri_config *cfg, const char *name,
			       char *val)
{
	unsigned long long v;
	char *end;

	v = memparse(val, &end);
	if (!isdigit(*val) || *end) {
		pr_err("%s: data_size: '%.64s' is not a size (bytes, or with K/M/G)\n",
		       name, val);
		return -EINVAL;
	}
	if (!v || v > NVME_RING_IO_MAX_DATA_SIZE) {
		pr_err("%s: data_size: %llu is outside [1, %llu]\n", name, v,
		       NVME_RING_IO_MAX_DATA_SIZE);
		return -EINVAL;
	}
	cfg->data_size = round_up(v, NRI_CHUNK_SIZE);
	return 0;
}

static int nri_apply_hugepages(struct nri_config *cfg, const char *name,
			       char *val)
{
	if (kstrtobool(val, &cfg->hugepages)) {
		pr_err("%s: hugepages: '%.64s' is not 0 or 1\n", name, val);
		return -EINVAL;
	}
	return 0;
}

static int nri_apply_uid(struct nri_config *cfg, const char *name, char *val)
{
	kuid_t uid = INVALID_UID;
	u32 v;

	if (!kstrtou32(val, 0, &v))
		uid = make_kuid(current_user_ns(), v);
	if (!uid_valid(uid)) {
		pr_err("%s: uid: '%.64s' is not a valid user id\n", name, val);
		return -EINVAL;
	}
	cfg->uid = uid;
	return 0;
}

static int nri_apply_gid(struct nri_config *cfg, const char *name, char *val)
{
	kgid_t gid = INVALID_GID;
	u32 v;

	if (!kstrtou32(val, 0, &v))
		gid = make_kgid(current_user_ns(), v);
	if (!gid_valid(gid)) {
		pr_err("%s: gid: '%.64s' is not a valid group id\n", name, val);
		return -EINVAL;
	}
	cfg->gid = gid;
	return 0;
}

static int nri_apply_mode(struct nri_config *cfg, const char *name, char *val)
{
	u16 v;

	if (kstrtou16(val, 8, &v) || v > 0777) {
		pr_err("%s: mode: '%.64s' is not an octal mode 0-0777\n", name,
		       val);
		return -EINVAL;
	}
	cfg->mode = v;
	return 0;
}

static int nri_apply_lba_start(struct nri_config *cfg, const char *name,
			       char *val)
{
	return nri_parse_u64(name, "lba_start", val, &cfg->lba_start);
}

static int nri_apply_lba_count(struct nri_config *cfg, const char *name,
			       char *val)
{
	return nri_parse_u64(name, "lba_count", val, &cfg->lba_count);
}

static int nri_apply_opcodes(struct nri_config *cfg, const char *name,
			     char *val)
{
	DECLARE_BITMAP(set, NRI_OPC_BITS);
	char *tok;
	u8 opc;

	bitmap_zero(set, NRI_OPC_BITS);
	while ((tok = strsep(&val, ", \t")) != NULL) {
		if (!*tok)
			continue;
		if (nri_opcode_parse(tok, &opc)) {
			pr_err("%s: opcodes: '%.64s' is not an NVMe I/O opcode (read, write, flush, write_zeroes, dsm, compare, ..., or 0-0xff but 0x7f)\n",
			       name, tok);
			return -EINVAL;
		}
		__set_bit(opc, set);
	}
	if (bitmap_empty(set, NRI_OPC_BITS)) {
		pr_err("%s: opcodes: empty list\n", name);
		return -EINVAL;
	}
	bitmap_copy(cfg->opcodes, set, NRI_OPC_BITS);
	return 0;
}

static int nri_apply_sq_poll(struct nri_config *cfg, const char *name,
			     char *val)
{
	if (kstrtobool(val, &cfg->sq_poll)) {
		pr_err("%s: sq_poll: '%.64s' is not 0 or 1\n", name, val);
		return -EINVAL;
	}
	return 0;
}

static int nri_apply_sq_poll_idle_ms(struct nri_config *cfg, const char *name,
				     char *val)
{
	u64 v;

	if (nri_parse_u64(name, "sq_poll_idle_ms", val, &v))
		return -EINVAL;
	if (!v || v > 60000) {
		pr_err("%s: sq_poll_idle_ms: %llu is outside [1, 60000]\n",
		       name, v);
		return -EINVAL;
	}
	cfg->sq_poll_idle_ms = v;
	return 0;
}

static int nri_apply_poll(struct nri_config *cfg, const char *name, char *val)
{
	if (kstrtobool(val, &cfg->poll)) {
		pr_err("%s: poll: '%.64s' is not 0 or 1\n", name, val);
		return -EINVAL;
	}
	return 0;
}

/* An attribute whose store goes through nri_store() and nri_apply_<name>. */
#define NRI_ATTR(_name)							\
static ssize_t nri_##_name##_store(struct config_item *item,		\
				   const char *page, size_t count)	\
{									\
	return nri_store(item, #_name, page, count, nri_apply_##_name);\
}									\
CONFIGFS_ATTR(nri_, _name)

static struct nri_config *cfg_of(struct config_item *item)
{
	return to_nri_item(item)->cfg;
}

static ssize_t nri_device_show(struct config_item *item, char *page)
{
	return sprintf(page, "%s\n", cfg_of(item)->device);
}
NRI_ATTR(device);

static ssize_t nri_cpus_show(struct config_item *item, char *page)
{
	return sprintf(page, "%*pbl\n", cpumask_pr_args(cfg_of(item)->cpus));
}
NRI_ATTR(cpus);

static ssize_t nri_numa_node_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", cfg_of(item)->numa_node);
}
NRI_ATTR(numa_node);

static ssize_t nri_nr_queues_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", cfg_of(item)->nr_queues);
}
NRI_ATTR(nr_queues);

static ssize_t nri_sq_entries_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", cfg_of(item)->sq_entries);
}
NRI_ATTR(sq_entries);

static ssize_t nri_cq_entries_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", cfg_of(item)->cq_entries);
}
NRI_ATTR(cq_entries);

static ssize_t nri_data_size_show(struct config_item *item, char *page)
{
	return sprintf(page, "%llu\n", cfg_of(item)->data_size);
}
NRI_ATTR(data_size);

static ssize_t nri_hugepages_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", cfg_of(item)->hugepages);
}
NRI_ATTR(hugepages);

static ssize_t nri_uid_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n",
		       from_kuid_munged(current_user_ns(), cfg_of(item)->uid));
}
NRI_ATTR(uid);

static ssize_t nri_gid_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n",
		       from_kgid_munged(current_user_ns(), cfg_of(item)->gid));
}
NRI_ATTR(gid);

static ssize_t nri_mode_show(struct config_item *item, char *page)
{
	return sprintf(page, "0%o\n", cfg_of(item)->mode);
}
NRI_ATTR(mode);

static ssize_t nri_lba_start_show(struct config_item *item, char *page)
{
	return sprintf(page, "%llu\n", cfg_of(item)->lba_start);
}
NRI_ATTR(lba_start);

static ssize_t nri_lba_count_show(struct config_item *item, char *page)
{
	return sprintf(page, "%llu\n", cfg_of(item)->lba_count);
}
NRI_ATTR(lba_count);

static ssize_t nri_sq_poll_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", cfg_of(item)->sq_poll);
}
NRI_ATTR(sq_poll);

static ssize_t nri_sq_poll_idle_ms_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", cfg_of(item)->sq_poll_idle_ms);
}
NRI_ATTR(sq_poll_idle_ms);

static ssize_t nri_poll_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", cfg_of(item)->poll);
}
NRI_ATTR(poll);

static ssize_t nri_opcodes_show(struct config_item *item, char *page)
{
	struct nri_config *cfg = cfg_of(item);
	unsigned int opc;
	int n = 0;

	for_each_set_bit(opc, cfg->opcodes, NRI_OPC_BITS) {
		if (n)
			page[n++] = ',';
		n += nri_opcode_name(opc, page + n, PAGE_SIZE - n - 2);
	}
	page[n++] = '\n';
	return n;
}
NRI_ATTR(opcodes);

static struct nri_config *nri_config_dup(struct nri_config *src)
{
	struct nri_config *cfg = nri_config_alloc();

	if (!cfg)
		return NULL;
	memcpy(cfg->name, src->name, sizeof(cfg->name));
	memcpy(cfg->device, src->device, sizeof(cfg->device));
	cpumask_copy(cfg->cpus, src->cpus);
	cfg->numa_node = src->numa_node;
	cfg->nr_queues = src->nr_queues;
	cfg->sq_entries = src->sq_entries;
	cfg->cq_entries = src->cq_entries;
	cfg->data_size = src->data_size;
	cfg->hugepages = src->hugepages;
	cfg->uid = src->uid;
	cfg->gid = src->gid;
	cfg->mode = src->mode;
	cfg->lba_start = src->lba_start;
	cfg->lba_count = src->lba_count;
	cfg->sq_poll = src->sq_poll;
	cfg->sq_poll_idle_ms = src->sq_poll_idle_ms;
	cfg->poll = src->poll;
	bitmap_copy(cfg->opcodes, src->opcodes, NRI_OPC_BITS);
	return cfg;
}

static ssize_t nri_enable_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", to_nri_item(item)->ring ? 1 : 0);
}

static ssize_t nri_enable_store(struct config_item *item, const char *page,
				size_t count)
{
	struct nri_item *ni = to_nri_item(item);
	struct nri_config *cfg;
	struct nri_ring *ring;
	ssize_t ret;
	bool v;

	ret = kstrtobool(page, &v);
	if (ret) {
		pr_err("%s: enable: '%.*s' is not 0 or 1\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		return ret;
	}

	mutex_lock(&ni->lock);
	if (!v) {
		if (ni->ring) {
			nri_ring_disable(ni->ring);
			nri_ring_put(ni->ring);
			ni->ring = NULL;
		}
		ret = count;
		goto out_unlock;
	}
	if (ni->ring) {
		pr_err("%s: enable: ring is already enabled\n",
		       config_item_name(item));
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!ni->cfg->device[0]) {
		pr_err("%s: enable: set device first\n", config_item_name(item));
		ret = -EINVAL;
		goto out_unlock;
	}
	cfg = nri_config_dup(ni->cfg);
	if (!cfg) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ring = nri_ring_create(cfg);
	if (IS_ERR(ring)) {
		ret = PTR_ERR(ring);
		pr_err("%s: enable: failed with error %zd\n",
		       config_item_name(item), ret);
		goto out_unlock;
	}
	ni->ring = ring;
	ret = count;
out_unlock:
	mutex_unlock(&ni->lock);
	return ret;
}
CONFIGFS_ATTR(nri_, enable);

static struct configfs_attribute *nri_item_attrs[] = {
	&nri_attr_device,
	&nri_attr_cpus,
	&nri_attr_numa_node,
	&nri_attr_nr_queues,
	&nri_attr_sq_entries,
	&nri_attr_cq_entries,
	&nri_attr_data_size,
	&nri_attr_hugepages,
	&nri_attr_uid,
	&nri_attr_gid,
	&nri_attr_mode,
	&nri_attr_lba_start,
	&nri_attr_lba_count,
	&nri_attr_opcodes,
	&nri_attr_sq_poll,
	&nri_attr_sq_poll_idle_ms,
	&nri_attr_poll,
	&nri_attr_enable,
	NULL,
};

static void nri_item_release(struct config_item *item)
{
	struct nri_item *ni = to_nri_item(item);

	if (ni->ring) {
		nri_ring_disable(ni->ring);
		nri_ring_put(ni->ring);
	}
	nri_config_free(ni->cfg);
	kfree(ni);
}

static struct configfs_item_operations nri_item_ops = {
	.release	= nri_item_release,
};

static const struct config_item_type nri_item_type = {
	.ct_item_ops	= &nri_item_ops,
	.ct_attrs	= nri_item_attrs,
	.ct_owner	= THIS_MODULE,
};

static bool nri_name_ok(const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= NRI_NAME_MAX || !strncmp(name, "anon.", 5))
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

static struct config_item *nri_make_item(struct config_group *group,
					 const char *name)
{
	struct nri_item *ni;

	if (!nri_name_ok(name)) {
		pr_err("mkdir: '%.64s' is not a valid ring name (1-%d of [A-Za-z0-9_.-], not starting with 'anon.')\n",
		       name, NRI_NAME_MAX - 1);
		return ERR_PTR(-EINVAL);
	}
	ni = kzalloc(sizeof(*ni), GFP_KERNEL);
	if (!ni)
		return ERR_PTR(-ENOMEM);
	ni->cfg = nri_config_alloc();
	if (!ni->cfg) {
		kfree(ni);
		return ERR_PTR(-ENOMEM);
	}
	strscpy(ni->cfg->name, name, sizeof(ni->cfg->name));
	mutex_init(&ni->lock);
	config_item_init_type_name(&ni->item, name, &nri_item_type);
	return &ni->item;
}

static ssize_t nri_features_show(struct config_item *item, char *page)
{
	return sprintf(page, "%s\n",
		       "device cpus numa_node nr_queues sq_entries cq_entries data_size hugepages uid gid mode lba_start lba_count opcodes sq_poll sq_poll_idle_ms poll enable");
}
CONFIGFS_ATTR_RO(nri_, features);

static struct configfs_attribute *nri_group_attrs[] = {
	&nri_attr_features,
	NULL,
};

static struct configfs_group_operations nri_group_ops = {
	.make_item	= nri_make_item,
};

static const struct config_item_type nri_group_type = {
	.ct_group_ops	= &nri_group_ops,
	.ct_attrs	= nri_group_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem nri_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "nvme_ring_io",
			.ci_type	= &nri_group_type,
		},
	},
};

int nri_configfs_init(void)
{
	config_group_init(&nri_subsys.su_group);
	mutex_init(&nri_subsys.su_mutex);
	return configfs_register_subsystem(&nri_subsys);
}

void nri_configfs_exit(void)
{
	configfs_unregister_subsystem(&nri_subsys);
}
