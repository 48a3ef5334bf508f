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
 * Run @fn on the config under the item lock, refusing changes while the
 * ring is enabled.
 */
#define NRI_STORE_BEGIN(attr_name)					\
	struct nri_item *ni = to_nri_item(item);			\
	ssize_t ret;							\
									\
	mutex_lock(&ni->lock);						\
	if (ni->ring) {							\
		pr_err("%s: %s: ring is enabled; write 0 to enable first\n", \
		       config_item_name(item), attr_name);		\
		ret = -EBUSY;						\
		goto out_unlock;					\
	}

#define NRI_STORE_END							\
out_unlock:								\
	mutex_unlock(&ni->lock);					\
	return ret

/* Unsigned 32-bit attributes with a validator. */
#define NRI_U32_ATTR(_name, _check)					\
static ssize_t nri_##_name##_show(struct config_item *item, char *page)\
{									\
	return sprintf(page, "%u\n", to_nri_item(item)->cfg->_name);	\
}									\
static ssize_t nri_##_name##_store(struct config_item *item,		\
				   const char *page, size_t count)	\
{									\
	u32 v;								\
	NRI_STORE_BEGIN(#_name)						\
	ret = kstrtou32(page, 0, &v);					\
	if (ret) {							\
		pr_err("%s: " #_name ": '%.*s' is not a number\n",	\
		       config_item_name(item), (int)strcspn(page, "\n"), \
		       page);						\
		goto out_unlock;					\
	}								\
	ret = _check(config_item_name(item), v);			\
	if (ret)							\
		goto out_unlock;					\
	ni->cfg->_name = v;						\
	ret = count;							\
	NRI_STORE_END;							\
}									\
CONFIGFS_ATTR(nri_, _name)

static int nri_check_entries(const char *name, const char *attr, u32 v)
{
	if (!is_power_of_2(v) || v < NVME_RING_IO_MIN_ENTRIES ||
	    v > NVME_RING_IO_MAX_ENTRIES) {
		pr_err("%s: %s: %u is not a power of two in [%u, %u]\n", name,
		       attr, v, NVME_RING_IO_MIN_ENTRIES,
		       NVME_RING_IO_MAX_ENTRIES);
		return -EINVAL;
	}
	return 0;
}

static int nri_check_sq(const char *name, u32 v)
{
	return nri_check_entries(name, "sq_entries", v);
}

static int nri_check_cq(const char *name, u32 v)
{
	return nri_check_entries(name, "cq_entries", v);
}

static int nri_check_queues(const char *name, u32 v)
{
	if (v > NVME_RING_IO_MAX_QUEUES || v > num_possible_cpus()) {
		pr_err("%s: nr_queues: %u is above the limit %u\n", name, v,
		       min_t(u32, NVME_RING_IO_MAX_QUEUES,
			     num_possible_cpus()));
		return -EINVAL;
	}
	return 0;
}

NRI_U32_ATTR(sq_entries, nri_check_sq);
NRI_U32_ATTR(cq_entries, nri_check_cq);
NRI_U32_ATTR(nr_queues, nri_check_queues);

static ssize_t nri_device_show(struct config_item *item, char *page)
{
	return sprintf(page, "%s\n", to_nri_item(item)->cfg->device);
}

static ssize_t nri_device_store(struct config_item *item, const char *page,
				size_t count)
{
	struct nri_target t;
	char *path;

	NRI_STORE_BEGIN("device")
	path = nri_strip(page, count);
	if (!path) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	if (!*path || strlen(path) >= sizeof(ni->cfg->device)) {
		pr_err("%s: device: path '%s' is empty or too long\n",
		       config_item_name(item), path);
		ret = -EINVAL;
		goto out_free;
	}
	/* Validate now: the namespace must exist and be an NVMe one. */
	ret = nri_target_open(&t, path, NULL);
	if (ret)
		goto out_free;
	nri_target_close(&t);
	strscpy(ni->cfg->device, path, sizeof(ni->cfg->device));
	ret = count;
out_free:
	kfree(path);
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, device);

static ssize_t nri_cpus_show(struct config_item *item, char *page)
{
	return sprintf(page, "%*pbl\n",
		       cpumask_pr_args(to_nri_item(item)->cfg->cpus));
}

static ssize_t nri_cpus_store(struct config_item *item, const char *page,
			      size_t count)
{
	cpumask_var_t mask;
	unsigned int cpu;
	char *s;

	NRI_STORE_BEGIN("cpus")
	s = nri_strip(page, count);
	if (!s || !zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		kfree(s);
		ret = -ENOMEM;
		goto out_unlock;
	}
	if (!*s) {
		pr_err("%s: cpus: empty CPU list\n", config_item_name(item));
		ret = -EINVAL;
		goto out_free;
	}
	ret = cpulist_parse(s, mask);
	if (ret) {
		pr_err("%s: cpus: cannot parse '%s' as a CPU list of CPUs 0-%u\n",
		       config_item_name(item), s, nr_cpu_ids - 1);
		goto out_free;
	}
	if (cpumask_empty(mask)) {
		pr_err("%s: cpus: empty CPU list\n", config_item_name(item));
		ret = -EINVAL;
		goto out_free;
	}
	for_each_cpu(cpu, mask) {
		if (!cpu_online(cpu)) {
			pr_err("%s: cpus: CPU %u is offline\n",
			       config_item_name(item), cpu);
			ret = -EINVAL;
			goto out_free;
		}
	}
	cpumask_copy(ni->cfg->cpus, mask);
	ret = count;
out_free:
	free_cpumask_var(mask);
	kfree(s);
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, cpus);

static ssize_t nri_numa_node_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", to_nri_item(item)->cfg->numa_node);
}

static ssize_t nri_numa_node_store(struct config_item *item, const char *page,
				   size_t count)
{
	int node;

	NRI_STORE_BEGIN("numa_node")
	ret = kstrtoint(page, 0, &node);
	if (ret) {
		pr_err("%s: numa_node: '%.*s' is not a number\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		goto out_unlock;
	}
	if (node != NUMA_NO_NODE &&
	    (node < 0 || node >= nr_node_ids || !node_online(node))) {
		pr_err("%s: numa_node: node %d is out of range (online nodes %*pbl, or -1)\n",
		       config_item_name(item), node,
		       nodemask_pr_args(&node_states[N_ONLINE]));
		ret = -EINVAL;
		goto out_unlock;
	}
	if (node != NUMA_NO_NODE && !node_state(node, N_MEMORY)) {
		pr_err("%s: numa_node: node %d has no memory\n",
		       config_item_name(item), node);
		ret = -EINVAL;
		goto out_unlock;
	}
	ni->cfg->numa_node = node;
	ret = count;
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, numa_node);

static ssize_t nri_data_size_show(struct config_item *item, char *page)
{
	return sprintf(page, "%llu\n", to_nri_item(item)->cfg->data_size);
}

static ssize_t nri_data_size_store(struct config_item *item, const char *page,
				   size_t count)
{
	unsigned long long v;
	char *s, *end;

	NRI_STORE_BEGIN("data_size")
	s = nri_strip(page, count);
	if (!s) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	v = memparse(s, &end);
	if (!*s || *end || !isdigit(*s)) {
		pr_err("%s: data_size: '%s' is not a size (bytes, or with K/M/G)\n",
		       config_item_name(item), s);
		ret = -EINVAL;
	} else if (!v || v > NVME_RING_IO_MAX_DATA_SIZE) {
		pr_err("%s: data_size: %llu is outside [1, %llu]\n",
		       config_item_name(item), v, NVME_RING_IO_MAX_DATA_SIZE);
		ret = -EINVAL;
	} else {
		ni->cfg->data_size = round_up(v, NRI_CHUNK_SIZE);
		ret = count;
	}
	kfree(s);
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, data_size);

static ssize_t nri_hugepages_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", to_nri_item(item)->cfg->hugepages);
}

static ssize_t nri_hugepages_store(struct config_item *item, const char *page,
				   size_t count)
{
	bool v;

	NRI_STORE_BEGIN("hugepages")
	ret = kstrtobool(page, &v);
	if (ret) {
		pr_err("%s: hugepages: '%.*s' is not 0 or 1\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		goto out_unlock;
	}
	ni->cfg->hugepages = v;
	ret = count;
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, hugepages);

static ssize_t nri_uid_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n",
		       from_kuid_munged(current_user_ns(),
					to_nri_item(item)->cfg->uid));
}

static ssize_t nri_uid_store(struct config_item *item, const char *page,
			     size_t count)
{
	kuid_t uid;
	u32 v;

	NRI_STORE_BEGIN("uid")
	ret = kstrtou32(page, 0, &v);
	uid = make_kuid(current_user_ns(), v);
	if (ret || !uid_valid(uid)) {
		pr_err("%s: uid: '%.*s' is not a valid user id\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		ret = -EINVAL;
		goto out_unlock;
	}
	ni->cfg->uid = uid;
	ret = count;
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, uid);

static ssize_t nri_gid_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n",
		       from_kgid_munged(current_user_ns(),
					to_nri_item(item)->cfg->gid));
}

static ssize_t nri_gid_store(struct config_item *item, const char *page,
			     size_t count)
{
	kgid_t gid;
	u32 v;

	NRI_STORE_BEGIN("gid")
	ret = kstrtou32(page, 0, &v);
	gid = make_kgid(current_user_ns(), v);
	if (ret || !gid_valid(gid)) {
		pr_err("%s: gid: '%.*s' is not a valid group id\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		ret = -EINVAL;
		goto out_unlock;
	}
	ni->cfg->gid = gid;
	ret = count;
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, gid);

static ssize_t nri_mode_show(struct config_item *item, char *page)
{
	return sprintf(page, "0%o\n", to_nri_item(item)->cfg->mode);
}

static ssize_t nri_mode_store(struct config_item *item, const char *page,
			      size_t count)
{
	u16 v;

	NRI_STORE_BEGIN("mode")
	ret = kstrtou16(page, 8, &v);
	if (ret || v > 0777) {
		pr_err("%s: mode: '%.*s' is not an octal mode 0-0777\n",
		       config_item_name(item), (int)strcspn(page, "\n"), page);
		ret = -EINVAL;
		goto out_unlock;
	}
	ni->cfg->mode = v;
	ret = count;
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, mode);

#define NRI_U64_ATTR(_name)						\
static ssize_t nri_##_name##_show(struct config_item *item, char *page)\
{									\
	return sprintf(page, "%llu\n", to_nri_item(item)->cfg->_name);	\
}									\
static ssize_t nri_##_name##_store(struct config_item *item,		\
				   const char *page, size_t count)	\
{									\
	u64 v;								\
	NRI_STORE_BEGIN(#_name)						\
	ret = kstrtou64(page, 0, &v);					\
	if (ret) {							\
		pr_err("%s: " #_name ": '%.*s' is not a number\n",	\
		       config_item_name(item), (int)strcspn(page, "\n"), \
		       page);						\
		goto out_unlock;					\
	}								\
	ni->cfg->_name = v;						\
	ret = count;							\
	NRI_STORE_END;							\
}									\
CONFIGFS_ATTR(nri_, _name)

NRI_U64_ATTR(lba_start);
NRI_U64_ATTR(lba_count);

static ssize_t nri_opcodes_show(struct config_item *item, char *page)
{
	struct nri_config *cfg = to_nri_item(item)->cfg;
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

static ssize_t nri_opcodes_store(struct config_item *item, const char *page,
				 size_t count)
{
	DECLARE_BITMAP(set, NRI_OPC_BITS);
	char *s, *p, *tok;
	u8 opc;

	NRI_STORE_BEGIN("opcodes")
	s = nri_strip(page, count);
	if (!s) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	bitmap_zero(set, NRI_OPC_BITS);
	p = s;
	ret = 0;
	while ((tok = strsep(&p, ", \t")) != NULL) {
		if (!*tok)
			continue;
		ret = nri_opcode_parse(tok, &opc);
		if (ret) {
			pr_err("%s: opcodes: '%s' is not an NVMe I/O opcode (a name such as read, write, flush, write_zeroes, dsm, compare, or a number 0-0xff other than 0x7f)\n",
			       config_item_name(item), tok);
			ret = -EINVAL;
			break;
		}
		__set_bit(opc, set);
	}
	if (!ret && bitmap_empty(set, NRI_OPC_BITS)) {
		pr_err("%s: opcodes: empty list\n", config_item_name(item));
		ret = -EINVAL;
	}
	if (!ret) {
		bitmap_copy(ni->cfg->opcodes, set, NRI_OPC_BITS);
		ret = count;
	}
	kfree(s);
	NRI_STORE_END;
}
CONFIGFS_ATTR(nri_, opcodes);

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
		pr_err("mkdir: '%s' is not a valid ring name (1-%d of [A-Za-z0-9_.-], not starting with 'anon.')\n",
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
	return sprintf(page, "device cpus numa_node nr_queues sq_entries cq_entries data_size hugepages uid gid mode lba_start lba_count opcodes enable\n");
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
