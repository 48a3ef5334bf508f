// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: the control plane, /sys/kernel/config/nvme_ring_io/.
 *
 * mkdir makes a disabled ring instance; each attribute holds one value;
 * writing 1 to `enable` validates everything, builds the ring and publishes
 * /dev/nvme_ring/<name>; writing 0 (or rmdir) tears it down. While enabled,
 * every other attribute refuses writes with -EBUSY.
 *
 * An attribute is one NRI_CFG_ATTR() line naming its field of struct
 * nri_config, its value type and an optional check, plus its place in
 * nri_item_attrs[] (see Documentation/nvme_ring_io.rst, "Adding an
 * attribute").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/nodemask.h>
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

/*
 * Value types. For each type T: nri_show_T() prints the field and
 * nri_parse_T() reads a value into the field, after an optional check that
 * may refuse (having said why) or adjust it; on failure the field is left
 * as it was. Messages name the ring, the attribute and the value.
 */
static ssize_t nri_show_u32(char *page, const u32 *v)
{
	return sprintf(page, "%u\n", *v);
}

static int nri_parse_u32(const char *ring, const char *attr, char *val,
			 u32 *field,
			 int (*check)(const char *, const char *, u32 *))
{
	u32 v;

	if (kstrtou32(val, 0, &v)) {
		pr_err("%s: %s: '%.64s' is not a number\n", ring, attr, val);
		return -EINVAL;
	}
	if (check && check(ring, attr, &v))
		return -EINVAL;
	*field = v;
	return 0;
}

static ssize_t nri_show_u64(char *page, const u64 *v)
{
	return sprintf(page, "%llu\n", *v);
}

static int nri_parse_u64(const char *ring, const char *attr, char *val,
			 u64 *field,
			 int (*check)(const char *, const char *, u64 *))
{
	u64 v;

	if (kstrtou64(val, 0, &v)) {
		pr_err("%s: %s: '%.64s' is not a number\n", ring, attr, val);
		return -EINVAL;
	}
	if (check && check(ring, attr, &v))
		return -EINVAL;
	*field = v;
	return 0;
}

static ssize_t nri_show_int(char *page, const int *v)
{
	return sprintf(page, "%d\n", *v);
}

static int nri_parse_int(const char *ring, const char *attr, char *val,
			 int *field,
			 int (*check)(const char *, const char *, int *))
{
	int v;

	if (kstrtoint(val, 0, &v)) {
		pr_err("%s: %s: '%.64s' is not a number\n", ring, attr, val);
		return -EINVAL;
	}
	if (check && check(ring, attr, &v))
		return -EINVAL;
	*field = v;
	return 0;
}

static ssize_t nri_show_bool(char *page, const bool *v)
{
	return sprintf(page, "%d\n", *v);
}

static int nri_parse_bool(const char *ring, const char *attr, char *val,
			  bool *field, void *check)
{
	if (kstrtobool(val, field)) {
		pr_err("%s: %s: '%.64s' is not 0 or 1\n", ring, attr, val);
		return -EINVAL;
	}
	return 0;
}

/* A size in bytes, with K, M or G. */
static ssize_t nri_show_size(char *page, const u64 *v)
{
	return nri_show_u64(page, v);
}

static int nri_parse_size(const char *ring, const char *attr, char *val,
			  u64 *field,
			 int (*check)(const char *, const char *, u64 *))
{
	unsigned long long v;
	char *end;

	v = memparse(val, &end);
	if (!isdigit(*val) || *end) {
		pr_err("%s: %s: '%.64s' is not a size (bytes, or with K/M/G)\n",
		       ring, attr, val);
		return -EINVAL;
	}
	if (check && check(ring, attr, &v))
		return -EINVAL;
	*field = v;
	return 0;
}

/* An octal file mode. */
static ssize_t nri_show_mode(char *page, const umode_t *v)
{
	return sprintf(page, "0%o\n", *v);
}

static int nri_parse_mode(const char *ring, const char *attr, char *val,
			  umode_t *field, void *check)
{
	u16 v;

	if (kstrtou16(val, 8, &v) || v > 0777) {
		pr_err("%s: %s: '%.64s' is not an octal mode 0-0777\n", ring,
		       attr, val);
		return -EINVAL;
	}
	*field = v;
	return 0;
}

/* User and group ids, in the writer's user namespace. */
static ssize_t nri_show_uid(char *page, const kuid_t *v)
{
	return sprintf(page, "%u\n", from_kuid_munged(current_user_ns(), *v));
}

static int nri_parse_uid(const char *ring, const char *attr, char *val,
			 kuid_t *field, void *check)
{
	kuid_t uid = INVALID_UID;
	u32 v;

	if (!kstrtou32(val, 0, &v))
		uid = make_kuid(current_user_ns(), v);
	if (!uid_valid(uid)) {
		pr_err("%s: %s: '%.64s' is not a valid user id\n", ring, attr,
		       val);
		return -EINVAL;
	}
	*field = uid;
	return 0;
}

static ssize_t nri_show_gid(char *page, const kgid_t *v)
{
	return sprintf(page, "%u\n", from_kgid_munged(current_user_ns(), *v));
}

static int nri_parse_gid(const char *ring, const char *attr, char *val,
			 kgid_t *field, void *check)
{
	kgid_t gid = INVALID_GID;
	u32 v;

	if (!kstrtou32(val, 0, &v))
		gid = make_kgid(current_user_ns(), v);
	if (!gid_valid(gid)) {
		pr_err("%s: %s: '%.64s' is not a valid group id\n", ring, attr,
		       val);
		return -EINVAL;
	}
	*field = gid;
	return 0;
}

/* A path, checked before it is taken. */
static ssize_t nri_show_path(char *page, const char (*v)[NRI_PATH_MAX])
{
	return sprintf(page, "%s\n", *v);
}

static int nri_parse_path(const char *ring, const char *attr, char *val,
			  char (*field)[NRI_PATH_MAX],
			  int (*check)(const char *, const char *,
				       const char *))
{
	if (!*val || strlen(val) >= sizeof(*field)) {
		pr_err("%s: %s: path '%.64s' is empty or longer than %zu\n",
		       ring, attr, val, sizeof(*field) - 1);
		return -EINVAL;
	}
	if (check && check(ring, attr, val))
		return -EINVAL;
	strscpy(*field, val, sizeof(*field));
	return 0;
}

/* A CPU list of online CPUs; "auto" (shown empty) for the automatic set. */
static ssize_t nri_show_cpulist(char *page, const struct cpumask *v)
{
	return sprintf(page, "%*pbl\n", cpumask_pr_args(v));
}

static int nri_parse_cpulist(const char *ring, const char *attr, char *val,
			     struct cpumask *field, void *check)
{
	cpumask_var_t mask;
	unsigned int cpu;
	int ret;

	if (!*val) {
		pr_err("%s: %s: empty CPU list (write auto for the default)\n",
		       ring, attr);
		return -EINVAL;
	}
	if (!strcmp(val, "auto")) {
		cpumask_clear(field);	/* the CPUs of the ring's node */
		return 0;
	}
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	ret = cpulist_parse(val, mask);
	if (ret) {
		pr_err("%s: %s: '%.64s' is not a list of CPUs 0-%u\n", ring,
		       attr, val, nr_cpu_ids - 1);
		goto out;
	}
	ret = -EINVAL;
	if (cpumask_empty(mask)) {
		pr_err("%s: %s: empty CPU list\n", ring, attr);
		goto out;
	}
	for_each_cpu(cpu, mask) {
		if (!cpu_online(cpu)) {
			pr_err("%s: %s: CPU %u is offline\n", ring, attr, cpu);
			goto out;
		}
	}
	cpumask_copy(field, mask);
	ret = 0;
out:
	free_cpumask_var(mask);
	return ret;
}

/*
 * A list of NVMe I/O opcodes, by name or number; an opcode the command
 * checks do not know carries its transfer length, as 0xNN:<bytes> or
 * 0xNN:ndt.
 */
static ssize_t nri_show_opcodes(char *page, const struct nri_opcodes *v)
{
	unsigned int opc;
	int n = 0;

	for_each_set_bit(opc, v->allowed, NRI_OPC_BITS) {
		if (n)
			page[n++] = ',';
		n += nri_opcode_name(opc, page + n, PAGE_SIZE - n - 2);
		if (nri_opcode_known(opc))
			continue;
		if (v->xfer[opc] == NRI_XFER_NDT)
			n += scnprintf(page + n, PAGE_SIZE - n - 2, ":ndt");
		else
			n += scnprintf(page + n, PAGE_SIZE - n - 2, ":%u",
				       v->xfer[opc]);
	}
	page[n++] = '\n';
	return n;
}

/* The transfer length after an unknown opcode's colon, into *xfer. */
static int nri_parse_xfer(const char *ring, const char *attr, u8 opc,
			  const char *len, u32 *xfer)
{
	u8 dir = opc & 3;	/* 1: to the device, 2: from it, 3: both */

	if (!len) {
		pr_err("%s: %s: opcode 0x%02x is not one the ring knows: give its transfer length, as 0x%02x:<bytes> or 0x%02x:ndt (CDW10 counts the data's dwords)\n",
		       ring, attr, opc, opc, opc);
		return -EINVAL;
	}
	if (dir == 3) {
		pr_err("%s: %s: opcode 0x%02x moves data both ways, which a ring cannot map\n",
		       ring, attr, opc);
		return -EINVAL;
	}
	if (!strcmp(len, "ndt")) {
		*xfer = NRI_XFER_NDT;
	} else if (kstrtou32(len, 0, xfer) || (*xfer & 3) ||
		   *xfer > NVME_RING_IO_MAX_DATA_SIZE) {
		pr_err("%s: %s: opcode 0x%02x: '%.32s' is not a transfer length (bytes, a multiple of 4, or ndt)\n",
		       ring, attr, opc, len);
		return -EINVAL;
	}
	if (!dir && *xfer) {
		pr_err("%s: %s: opcode 0x%02x moves no data (its bits 1:0 are 00): its length must be 0\n",
		       ring, attr, opc);
		return -EINVAL;
	}
	return 0;
}

static int nri_parse_opcodes(const char *ring, const char *attr, char *val,
			     struct nri_opcodes *field, void *check)
{
	struct nri_opcodes *set;
	char *tok, *len;
	int ret = -EINVAL;
	u8 opc;

	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return -ENOMEM;
	while ((tok = strsep(&val, ", \t")) != NULL) {
		if (!*tok)
			continue;
		len = strchr(tok, ':');
		if (len)
			*len++ = '\0';
		if (nri_opcode_parse(tok, &opc)) {
			pr_err("%s: %s: '%.64s' is not an NVMe I/O opcode (read, write, flush, write_zeroes, dsm, compare, ..., or 0-0xff but 0x7f)\n",
			       ring, attr, tok);
			goto out;
		}
		if (nri_opcode_known(opc) && len) {
			pr_err("%s: %s: '%.64s' takes its transfer length from the command: write it without ':%.32s'\n",
			       ring, attr, tok, len);
			goto out;
		}
		if (!nri_opcode_known(opc) &&
		    nri_parse_xfer(ring, attr, opc, len, &set->xfer[opc]))
			goto out;
		__set_bit(opc, set->allowed);
	}
	if (bitmap_empty(set->allowed, NRI_OPC_BITS)) {
		pr_err("%s: %s: empty list\n", ring, attr);
		goto out;
	}
	*field = *set;
	ret = 0;
out:
	kfree(set);
	return ret;
}

/* ---- checks of single attributes ---- */

/* The namespace must exist and be an NVMe one. */
static int nri_check_device(const char *ring, const char *attr,
			    const char *path)
{
	struct nri_target t;
	int ret;

	ret = nri_target_open(&t, path, NULL, NUMA_NO_NODE);
	if (!ret)
		nri_target_close(&t);
	return ret;
}

static int nri_check_node(const char *ring, const char *attr, int *node)
{
	if (*node == NUMA_NO_NODE)
		return 0;
	if (*node < 0 || *node >= nr_node_ids || !node_online(*node)) {
		pr_err("%s: %s: node %d is out of range (online nodes %*pbl, or -1)\n",
		       ring, attr, *node,
		       nodemask_pr_args(&node_states[N_ONLINE]));
		return -EINVAL;
	}
	if (!node_state(*node, N_MEMORY)) {
		pr_err("%s: %s: node %d has no memory\n", ring, attr, *node);
		return -EINVAL;
	}
	return 0;
}

static int nri_check_poll_idle(const char *ring, const char *attr, u32 *v)
{
	if (!*v || *v > 60000) {
		pr_err("%s: %s: %u is outside [1, 60000]\n", ring, attr, *v);
		return -EINVAL;
	}
	return 0;
}

static void *nri_field(struct nri_config *cfg, size_t offset)
{
	return (char *)cfg + offset;
}

/*
 * NRI_CFG_ATTR(name, type, check): the attribute `name` for the field
 * cfg->name of value type `type` (nri_show_<type>, nri_parse_<type>), with
 * an extra check (or NULL). Its store goes through nri_store(), which
 * refuses it while the ring is enabled. The field is reached by its offset.
 */
#define NRI_CFG_ATTR(_name, _type, _check)				\
static const size_t nri_##_name##_off =					\
	offsetof(struct nri_config, _name);				\
static ssize_t nri_##_name##_show(struct config_item *item, char *page)\
{									\
	struct nri_item *ni = to_nri_item(item);			\
	ssize_t ret;							\
									\
	mutex_lock(&ni->lock);						\
	ret = nri_show_##_type(page, nri_field(ni->cfg, nri_##_name##_off));\
	mutex_unlock(&ni->lock);					\
	return ret;							\
}									\
static int nri_apply_##_name(struct nri_config *cfg, const char *ring,	\
			     char *val)					\
{									\
	return nri_parse_##_type(ring, #_name, val,			\
				 nri_field(cfg, nri_##_name##_off), _check);\
}									\
static ssize_t nri_##_name##_store(struct config_item *item,		\
				   const char *page, size_t count)	\
{									\
	return nri_store(item, #_name, page, count, nri_apply_##_name);\
}									\
static struct configfs_attribute nri_attr_##_name = {			\
	.ca_name	= #_name,					\
	.ca_mode	= 0644,						\
	.ca_owner	= THIS_MODULE,					\
	.show		= nri_##_name##_show,				\
	.store		= nri_##_name##_store,				\
}

NRI_CFG_ATTR(device,		path,		nri_check_device);
NRI_CFG_ATTR(cpus,		cpulist,	NULL);
NRI_CFG_ATTR(numa_node,		int,		nri_check_node);
NRI_CFG_ATTR(nr_queues,		u32,		nri_check_nr_queues);
NRI_CFG_ATTR(sq_entries,	u32,		nri_check_entries);
NRI_CFG_ATTR(cq_entries,	u32,		nri_check_entries);
NRI_CFG_ATTR(data_size,		size,		nri_check_data_size);
NRI_CFG_ATTR(hugepages,		bool,		NULL);
NRI_CFG_ATTR(uid,		uid,		NULL);
NRI_CFG_ATTR(gid,		gid,		NULL);
NRI_CFG_ATTR(mode,		mode,		NULL);
NRI_CFG_ATTR(lba_start,		u64,		NULL);
NRI_CFG_ATTR(lba_count,		u64,		NULL);
NRI_CFG_ATTR(opcodes,		opcodes,	NULL);
NRI_CFG_ATTR(sq_poll,		bool,		NULL);
NRI_CFG_ATTR(sq_poll_idle_ms,	u32,		nri_check_poll_idle);
NRI_CFG_ATTR(sq_poll_cpus,	cpulist,	NULL);
NRI_CFG_ATTR(poll,		bool,		NULL);
NRI_CFG_ATTR(directives,	bool,		NULL);
NRI_CFG_ATTR(pi_check,		bool,		NULL);
NRI_CFG_ATTR(iostats,		bool,		NULL);
NRI_CFG_ATTR(timeout_min_ms,	u32,		nri_check_timeout);
NRI_CFG_ATTR(timeout_max_ms,	u32,		nri_check_timeout);
NRI_CFG_ATTR(teardown_timeout_ms, u32,		nri_check_teardown_timeout);

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
	&nri_attr_sq_poll_cpus,
	&nri_attr_poll,
	&nri_attr_directives,
	&nri_attr_pi_check,
	&nri_attr_iostats,
	&nri_attr_timeout_min_ms,
	&nri_attr_timeout_max_ms,
	&nri_attr_teardown_timeout_ms,
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

/* The attributes a ring has, from the list above. */
static ssize_t nri_features_show(struct config_item *item, char *page)
{
	struct configfs_attribute **a;
	int n = 0;

	for (a = nri_item_attrs; *a; a++)
		n += scnprintf(page + n, PAGE_SIZE - n, "%s%s",
			       n ? " " : "", (*a)->ca_name);
	n += scnprintf(page + n, PAGE_SIZE - n, "\n");
	return n;
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
