// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: the administrator's commands. create and destroy write
 * configfs; list, show and stat read the snapshots of sysfs.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvme-ring.h"

/* ------------------------------------------------------------------ */
/* create                                                               */
/* ------------------------------------------------------------------ */

void usage_create(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring create NAME --device DEV [options]\n"
"\n"
"Create the ring NAME in configfs, set its attributes and enable it; the\n"
"ring appears as " DEV_ROOT "/NAME. On any failure the half-made ring is\n"
"removed again and the refused attribute is named.\n"
"\n"
"Options:\n"
"  -d, --device DEV        NVMe namespace, e.g. /dev/nvme0n1 or /dev/ng0n1 (required)\n"
"  -c, --cpus LIST         CPUs the ring serves, e.g. 0-3,8 (default: the kernel's)\n"
"  -n, --node N            NUMA node for the ring's memory (-1: automatic)\n"
"  -q, --queues Q          number of queues (0: one per hardware queue)\n"
"  -D, --depth D           SQ and CQ entries per queue, a power of two\n"
"      --sq-entries N      SQ entries only\n"
"      --cq-entries N      CQ entries only\n"
"  -s, --data-size SIZE    data area per queue, bytes or with K/M/G\n"
"  -H, --hugepages         require 2 MiB pages for the data area\n"
"  -u, --owner U[:G]       owner of " DEV_ROOT "/NAME, names or numbers\n"
"  -m, --mode MODE         octal permissions of " DEV_ROOT "/NAME, e.g. 0660\n"
"      --lba-start S       first LBA commands may touch\n"
"      --lba-count C       LBAs commands may touch (0: to the end)\n"
"  -O, --opcodes LIST      allowed commands, e.g. read,write,flush; numbered\n"
"                          ones with their transfer length: 0x81:4096, 0x82:ndt\n"
"      --directives        Write and Copy may carry directives (streams, ...)\n"
"      --timeout-min MS    shortest command timeout a client may set (30000)\n"
"      --timeout-max MS    longest command timeout a client may set (600000)\n"
"      --teardown-timeout MS\n"
"                          disabling aborts commands still out after MS (10000)\n"
"      --sq-poll           a kernel thread per queue polls the SQ, so clients\n"
"                          submit without system calls\n"
"      --sq-poll-idle MS   the poller sleeps after MS idle milliseconds (1000)\n"
"      --sq-poll-cpus LIST the pollers run on these CPUs, one each (queue i on\n"
"                          the list's (i mod n)-th), not on the queues' CPUs\n"
"      --poll              poll for completions on the device's poll queues\n"
"                          (nvme.poll_queues=N) instead of taking interrupts\n"
"      --no-iostats        keep the ring's I/O out of the disk's statistics\n"
"                          (/proc/diskstats, iostat)\n"
"  -h, --help              this text\n"
"\n"
"Example:\n"
"  nvme-ring create db0 --device /dev/nvme0n1 --cpus 0-3 --depth 256 --data-size 8M\n");
}

struct attr_val {
	const char *attr;
	const char *opt;
	char val[128];
	bool set;
};

enum {
	A_DEVICE, A_CPUS, A_NODE, A_QUEUES, A_SQ, A_CQ, A_DATA, A_HUGE,
	A_UID, A_GID, A_MODE, A_LBA_START, A_LBA_COUNT, A_OPCODES, A_SQPOLL,
	A_SQPOLL_IDLE, A_POLL, A_DIRECTIVES, A_TMIN, A_TMAX, A_TEARDOWN,
	A_SQPOLL_CPUS, A_IOSTATS, A_NR
};

static const char *attr_hint(int a, int err)
{
	static char buf[256];
	char online[128] = "?";

	switch (a) {
	case A_DEVICE:
		if (err == -EACCES || err == -EPERM)
			return "run as root";
		return "--device must be an NVMe namespace such as /dev/nvme0n1 or /dev/ng0n1 (ls /sys/block)";
	case A_CPUS:
		read_str("/sys/devices/system/cpu/online", online, sizeof(online));
		snprintf(buf, sizeof(buf), "--cpus takes a list of online CPUs such as 0-3,8 (online: %s)", online);
		return buf;
	case A_NODE:
		if (read_str("/sys/devices/system/node/online", online, sizeof(online)) < 0)
			snprintf(online, sizeof(online), "0");
		snprintf(buf, sizeof(buf), "--node takes an online node with memory, or -1 (online: %s)", online);
		return buf;
	case A_QUEUES:
		return "--queues takes 0 (one per hardware queue) up to the number of CPUs";
	case A_SQ: case A_CQ:
		return "--depth takes a power of two from 2 to 32768";
	case A_DATA:
		return "--data-size takes bytes with an optional K/M/G suffix, at most 1G";
	case A_HUGE:
		return "--hugepages takes no value";
	case A_UID: case A_GID:
		return "--owner takes USER:GROUP as names or numbers";
	case A_MODE:
		return "--mode takes an octal mode such as 0660";
	case A_LBA_START: case A_LBA_COUNT:
		return "--lba-start and --lba-count take LBA numbers";
	case A_OPCODES:
		return "--opcodes takes a comma list of read,write,flush,write_zeroes,dsm,compare,... or 0xNN:<bytes> / 0xNN:ndt";
	case A_TMIN: case A_TMAX:
		return "--timeout-min and --timeout-max take milliseconds from 1000 to 86400000";
	case A_TEARDOWN:
		return "--teardown-timeout takes milliseconds from 1 to 86400000";
	case A_SQPOLL_CPUS:
		read_str("/sys/devices/system/cpu/online", online, sizeof(online));
		snprintf(buf, sizeof(buf), "--sq-poll-cpus takes a list of online CPUs such as 2,3 (online: %s)", online);
		return buf;
	default:
		return "";
	}
}

static const char *enable_hint(int err)
{
	switch (-err) {
	case ENOMEM:
		return "not enough memory for the rings: lower --data-size, --depth or --queues, or drop --hugepages (see /proc/meminfo HugePages_Free)";
	case EBUSY:
		return "the ring or the device is busy: nvme-ring list";
	case ENODEV: case ENOENT: case ENXIO:
		return "the device is gone or not an NVMe namespace: check --device";
	case ERANGE: case EINVAL:
		return "the attributes do not fit together (LBA window beyond the namespace, CPUs without a hardware queue, ...): see dmesg";
	default:
		return "see dmesg for the kernel's reason";
	}
}

/*
 * One side of --owner into v: a number, or a user or group name. A user
 * given by name brings its primary group into user_gid, when not NULL.
 */
static int owner_id(const char *s, bool group, struct attr_val *v,
		    struct attr_val *user_gid)
{
	struct passwd *p;
	struct group *g;
	uint64_t n;

	if (!parse_u64(s, &n)) {
		snprintf(v->val, sizeof(v->val), "%" PRIu64, n);
	} else if (group) {
		g = getgrnam(s);
		if (!g)
			return -1;
		snprintf(v->val, sizeof(v->val), "%u", g->gr_gid);
	} else {
		p = getpwnam(s);
		if (!p)
			return -1;
		snprintf(v->val, sizeof(v->val), "%u", p->pw_uid);
		if (user_gid) {
			snprintf(user_gid->val, sizeof(user_gid->val), "%u", p->pw_gid);
			user_gid->set = true;
		}
	}
	v->set = true;
	return 0;
}

/* --owner USER[:GROUP], :GROUP or USER: (names or numbers) */
static int owner_parse(const char *s, struct attr_val *uid, struct attr_val *gid)
{
	char user[64], *colon;

	snprintf(user, sizeof(user), "%s", s);
	colon = strchr(user, ':');
	if (colon)
		*colon++ = 0;
	if (colon && *colon && owner_id(colon, true, gid, NULL))
		return -1;
	if (*user && owner_id(user, false, uid, colon ? NULL : gid))
		return -1;
	return uid->set || gid->set ? 0 : -1;
}

int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", 1, NULL, 'd' }, { "cpus", 1, NULL, 'c' },
		{ "node", 1, NULL, 'n' }, { "queues", 1, NULL, 'q' },
		{ "depth", 1, NULL, 'D' }, { "sq-entries", 1, NULL, 1 },
		{ "cq-entries", 1, NULL, 2 }, { "data-size", 1, NULL, 's' },
		{ "hugepages", 0, NULL, 'H' }, { "owner", 1, NULL, 'u' },
		{ "mode", 1, NULL, 'm' }, { "lba-start", 1, NULL, 3 },
		{ "lba-count", 1, NULL, 4 }, { "opcodes", 1, NULL, 'O' },
		{ "sq-poll", 0, NULL, 5 }, { "sq-poll-idle", 1, NULL, 6 },
		{ "poll", 0, NULL, 7 }, { "directives", 0, NULL, 8 },
		{ "timeout-min", 1, NULL, 9 }, { "timeout-max", 1, NULL, 10 },
		{ "teardown-timeout", 1, NULL, 11 },
		{ "sq-poll-cpus", 1, NULL, 12 }, { "no-iostats", 0, NULL, 13 },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct attr_val a[A_NR] = {
		[A_DEVICE] = { "device", "--device" },
		[A_CPUS] = { "cpus", "--cpus" },
		[A_NODE] = { "numa_node", "--node" },
		[A_QUEUES] = { "nr_queues", "--queues" },
		[A_SQ] = { "sq_entries", "--depth" },
		[A_CQ] = { "cq_entries", "--depth" },
		[A_DATA] = { "data_size", "--data-size" },
		[A_HUGE] = { "hugepages", "--hugepages" },
		[A_UID] = { "uid", "--owner" },
		[A_GID] = { "gid", "--owner" },
		[A_MODE] = { "mode", "--mode" },
		[A_LBA_START] = { "lba_start", "--lba-start" },
		[A_LBA_COUNT] = { "lba_count", "--lba-count" },
		[A_OPCODES] = { "opcodes", "--opcodes" },
		[A_SQPOLL] = { "sq_poll", "--sq-poll" },
		[A_SQPOLL_IDLE] = { "sq_poll_idle_ms", "--sq-poll-idle" },
		[A_POLL] = { "poll", "--poll" },
		[A_DIRECTIVES] = { "directives", "--directives" },
		[A_TMIN] = { "timeout_min_ms", "--timeout-min" },
		[A_TMAX] = { "timeout_max_ms", "--timeout-max" },
		[A_TEARDOWN] = { "teardown_timeout_ms", "--teardown-timeout" },
		[A_SQPOLL_CPUS] = { "sq_poll_cpus", "--sq-poll-cpus" },
		[A_IOSTATS] = { "iostats", "--no-iostats" },
	};
	char dir[128], path[PATH_MAX], reason[512];
	const char *name;
	uint64_t n;
	int c, i, ret, kfd;

#define SETV(idx, v) do { snprintf(a[idx].val, sizeof(a[idx].val), "%s", v); a[idx].set = true; } while (0)
	while ((c = getopt_long(argc, argv, "d:c:n:q:D:s:Hu:m:O:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': SETV(A_DEVICE, optarg); break;
		case 'c':
			if (!cpulist_syntax_ok(optarg))
				usage_error(usage_create, "--cpus '%s' is not a CPU list such as 0-3,8", optarg);
			SETV(A_CPUS, optarg);
			break;
		case 'n': SETV(A_NODE, optarg); break;
		case 'q':
			if (parse_u64(optarg, &n))
				usage_error(usage_create, "--queues '%s' is not a number", optarg);
			SETV(A_QUEUES, optarg);
			break;
		case 'D':
			if (parse_u64(optarg, &n))
				usage_error(usage_create, "--depth '%s' is not a number", optarg);
			SETV(A_SQ, optarg);
			SETV(A_CQ, optarg);
			break;
		case 1: SETV(A_SQ, optarg); break;
		case 2: SETV(A_CQ, optarg); break;
		case 's': SETV(A_DATA, optarg); break;
		case 'H': SETV(A_HUGE, "1"); break;
		case 'u':
			if (owner_parse(optarg, &a[A_UID], &a[A_GID]))
				usage_error(usage_create, "--owner '%s': unknown user or group (USER:GROUP, names or numbers)", optarg);
			break;
		case 'm': SETV(A_MODE, optarg); break;
		case 3: SETV(A_LBA_START, optarg); break;
		case 4: SETV(A_LBA_COUNT, optarg); break;
		case 'O': SETV(A_OPCODES, optarg); break;
		case 5: SETV(A_SQPOLL, "1"); break;
		case 12:
			if (!cpulist_syntax_ok(optarg))
				usage_error(usage_create, "--sq-poll-cpus '%s' is not a CPU list such as 2,3", optarg);
			SETV(A_SQPOLL_CPUS, optarg);
			SETV(A_SQPOLL, "1");
			break;
		case 7: SETV(A_POLL, "1"); break;
		case 8: SETV(A_DIRECTIVES, "1"); break;
		case 13: SETV(A_IOSTATS, "0"); break;
		case 9: case 10: case 11:
			i = c == 9 ? A_TMIN : c == 10 ? A_TMAX : A_TEARDOWN;
			if (parse_u64(optarg, &n))
				usage_error(usage_create, "%s '%s' is not a number of milliseconds",
					    a[i].opt, optarg);
			SETV(i, optarg);
			break;
		case 6:
			if (parse_u64(optarg, &n))
				usage_error(usage_create, "--sq-poll-idle '%s' is not a number of milliseconds", optarg);
			SETV(A_SQPOLL_IDLE, optarg);
			break;
		case 'h': usage_create(stdout); return 0;
		default: try_help();
		}
	}
#undef SETV
	if (optind >= argc)
		usage_error(usage_create, "missing ring NAME");
	if (optind + 1 < argc)
		usage_error(usage_create, "unexpected argument '%s'", argv[optind + 1]);
	name = argv[optind];
	if (!valid_name(name))
		usage_error(usage_create, "'%s' is not a valid ring name (1-31 of A-Z a-z 0-9 _ . -, not starting with 'anon.')", name);
	if (!a[A_DEVICE].set)
		usage_error(usage_create, "missing --device (the NVMe namespace, e.g. --device /dev/nvme0n1)");
	if (require_module(true))
		return 1;

	snprintf(dir, sizeof(dir), CFS_ROOT "/%s", name);
	if (mkdir(dir, 0755)) {
		ret = -errno;
		if (ret == -EEXIST)
			err_msg("ring '%s' already exists: nvme-ring destroy %s, or pick another name", name, name);
		else if (ret == -EACCES || ret == -EPERM)
			err_msg("cannot create %s: %s: run as root", dir, strerror(-ret));
		else
			err_msg("cannot create %s: %s", dir, strerror(-ret));
		return 1;
	}
	for (i = 0; i < A_NR; i++) {
		if (!a[i].set)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, a[i].attr);
		kfd = klog_mark();
		ret = write_str(path, a[i].val);
		if (ret) {
			err_msg("%s: %s '%s' refused (attribute %s): %s", name,
				a[i].opt, a[i].val, a[i].attr, strerror(-ret));
			if (kernel_reason(kfd, reason, sizeof(reason)))
				fprintf(stderr, "  kernel: %s\n", reason);
			hint("%s", attr_hint(i, ret));
			goto undo;
		}
		if (kfd >= 0)
			close(kfd);
	}
	snprintf(path, sizeof(path), "%s/enable", dir);
	kfd = klog_mark();
	ret = write_str(path, "1");
	if (kfd >= 0 && !ret)
		close(kfd);
	if (ret) {
		err_msg("%s: enabling the ring failed (attribute enable): %s", name, strerror(-ret));
		if (kernel_reason(kfd, reason, sizeof(reason)))
			fprintf(stderr, "  kernel: %s\n", reason);
		hint("%s", enable_hint(ret));
		goto undo;
	}
	printf("%s: created %s/%s, %" PRIu64 " queue(s)\n", name, DEV_ROOT, name,
	       read_u64f(SYS_ROOT "/%s/nr_queues", name));
	return 0;
undo:
	if (rmdir(dir))
		err_msg("could not remove the half-made %s: %s", dir, strerror(errno));
	return 1;
}

/* ------------------------------------------------------------------ */
/* destroy                                                              */
/* ------------------------------------------------------------------ */

void usage_destroy(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring destroy NAME\n"
"\n"
"Disable the ring NAME (outstanding users see it die) and remove it from\n"
"configfs.\n"
"\n"
"Options:\n"
"  -h, --help    this text\n");
}

int cmd_destroy(int argc, char **argv)
{
	char dir[128], path[PATH_MAX];
	const char *name;
	int ret;

	name = need_name(argc, argv, simple_opts(argc, argv, usage_destroy, NULL),
			 usage_destroy);
	if (require_module(true))
		return 1;
	if (!strncmp(name, "anon.", 5)) {
		err_msg("%s is an anonymous ring: it goes away when the program that made it closes it", name);
		return 1;
	}
	if (!valid_name(name) || !ring_configured(name)) {
		err_msg("no ring named '%s' (nvme-ring list shows the rings)", name);
		return 1;
	}
	snprintf(dir, sizeof(dir), CFS_ROOT "/%s", name);
	snprintf(path, sizeof(path), "%s/enable", dir);
	ret = write_str(path, "0");
	if (ret) {
		err_msg("%s: disabling failed: %s%s", name, strerror(-ret),
			ret == -EACCES ? " (run as root)" : "");
		return 1;
	}
	if (rmdir(dir)) {
		ret = errno;
		err_msg("%s: cannot remove %s: %s%s", name, dir, strerror(ret),
			ret == EACCES || ret == EPERM ? " (run as root)" : "");
		return 1;
	}
	printf("%s: destroyed\n", name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* list                                                                 */
/* ------------------------------------------------------------------ */

void usage_list(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring list [-o json]\n"
"\n"
"List the rings: configured ones (enabled or not) and anonymous ones made\n"
"by programs through /dev/nvme_ring_io.\n"
"\n"
"Options:\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n");
}

/* The keys that name a ring in list and show */
static void j_ring(const struct rsnap *s)
{
	j_str("name", s->name);
	j_str("device", s->device);
	j_str("state", s->state);
	j_bool("anonymous", !s->configured);
}

int cmd_list(int argc, char **argv)
{
	bool json = false;
	char **names;
	int n, i, ind;

	ind = simple_opts(argc, argv, usage_list, &json);
	if (ind < argc)
		usage_error(usage_list, "unexpected argument '%s'", argv[ind]);
	if (require_module(false))
		return 1;
	n = ring_names(&names);
	if (json)
		j_open(NULL, '{'), j_open("rings", '[');
	else
		printf("%-16s %-16s %-8s %6s %4s %-10s %12s %12s %8s\n", "NAME",
		       "DEVICE", "STATE", "QUEUES", "NODE", "CPUS",
		       "SUBMITTED", "COMPLETED", "ERRORS");
	for (i = 0; i < n; i++) {
		struct rsnap s;

		if (snap_ring(names[i], &s, false))
			continue;
		if (json) {
			j_open(NULL, '{');
			j_ring(&s);
			j_u64("nr_queues", s.nr_queues);
			j_i64("numa_node", s.node);
			j_str("cpus", s.cfg_cpus);
			j_u64("submitted", s.c[C_SUB]);
			j_u64("completed", s.c[C_COMP]);
			j_u64("errors", s.c[C_ERR]);
			j_close('}');
		} else {
			printf("%-16s %-16s %-8s %6" PRIu64 " %4d %-10s %12" PRIu64 " %12" PRIu64 " %8" PRIu64 "\n",
			       s.name, s.device, s.state, s.nr_queues, s.node,
			       s.configured ? (*s.cfg_cpus ? s.cfg_cpus : "-") : "-",
			       s.c[C_SUB], s.c[C_COMP], s.c[C_ERR]);
		}
		snap_free(&s);
		free(names[i]);
	}
	free(names);
	if (json)
		j_close(']'), j_close('}');
	return 0;
}

/* ------------------------------------------------------------------ */
/* show                                                                 */
/* ------------------------------------------------------------------ */

void usage_show(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring show NAME [-o json]\n"
"\n"
"Show the ring's configuration, the controller its commands go through\n"
"(for a multipath head: its path now, and how often it moved), and a table\n"
"of its queues: CPUs, blk-mq hardware context, NVMe queue id, memory node,\n"
"huge pages and counters.\n"
"\n"
"Options:\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n");
}

int cmd_show(int argc, char **argv)
{
	bool json = false;
	const char *name;
	struct rsnap s;
	uint64_t i, k;

	name = need_name(argc, argv, simple_opts(argc, argv, usage_show, &json),
			 usage_show);
	if (open_snap(name, &s, true))
		return 1;
	if (json) {
		j_open(NULL, '{');
		j_ring(&s);
		j_u64("nsid", s.nsid);
		if (*s.controller) {
			j_str("controller", s.controller);
			j_u64("path_changes", s.path_changes);
		}
		j_i64("numa_node", s.node);
		j_u64("nr_queues", s.nr_queues);
		if (s.configured) {
			j_open("config", '{');
			j_str("cpus", s.cfg_cpus);
			j_i64("numa_node", s.cfg_node);
			j_u64("nr_queues", s.cfg_queues);
			j_u64("sq_entries", s.sq_entries);
			j_u64("cq_entries", s.cq_entries);
			j_u64("data_size", s.data_size);
			j_u64("hugepages", s.hugepages);
			j_u64("uid", s.uid);
			j_u64("gid", s.gid);
			j_str("mode", s.mode);
			j_u64("lba_start", s.lba_start);
			j_u64("lba_count", s.lba_count);
			j_str("opcodes", s.opcodes);
			j_close('}');
		}
		for (k = 0; k < NR_COUNTERS; k++)
			j_u64(counter_names[k], s.c[k]);
		j_open("queues", '[');
		for (i = 0; i < s.nr_queues; i++) {
			struct qsnap *q = &s.q[i];

			j_open(NULL, '{');
			j_u64("queue", i);
			j_str("cpus", q->cpus);
			j_str("hctx", q->hctx);
			j_str("nvme_qid", q->nvme_qid);
			j_i64("numa_node", q->node);
			j_u64("huge_pages", q->huge_pages);
			j_u64("sq_entries", q->sq_entries);
			j_u64("cq_entries", q->cq_entries);
			j_u64("data_size", q->data_size);
			for (k = 0; k < NR_COUNTERS; k++)
				j_u64(counter_names[k], q->c[k]);
			j_close('}');
		}
		j_close(']');
		j_close('}');
		snap_free(&s);
		return 0;
	}

	printf("ring:      %s%s\n", s.name, s.configured ? "" : " (anonymous)");
	printf("device:    %s", s.device);
	if (s.enabled)
		printf(" (nsid %" PRIu64 ")", s.nsid);
	printf("\nstate:     %s\n", s.state);
	if (s.enabled && *s.controller) {
		printf("path:      %s", s.controller);
		if (s.path_changes)
			printf(" (moved %" PRIu64 " time%s)", s.path_changes,
			       s.path_changes == 1 ? "" : "s");
		printf("\n");
	}
	if (s.configured) {
		char ds[32];

		human(s.data_size, ds, sizeof(ds));
		printf("config:    cpus %s node %d queues %" PRIu64 " sq %" PRIu64 " cq %" PRIu64 " data %s%s\n",
		       *s.cfg_cpus ? s.cfg_cpus : "-", s.cfg_node,
		       s.cfg_queues, s.sq_entries, s.cq_entries, ds,
		       s.hugepages ? " hugepages" : "");
		printf("access:    uid %" PRIu64 " gid %" PRIu64 " mode %s\n",
		       s.uid, s.gid, s.mode);
		if (s.lba_count)
			printf("lba:       %" PRIu64 " + %" PRIu64 "\n", s.lba_start, s.lba_count);
		else
			printf("lba:       %" PRIu64 " to the end\n", s.lba_start);
		printf("opcodes:   %s\n", s.opcodes);
	}
	if (!s.enabled) {
		printf("(not enabled: no queues)\n");
		snap_free(&s);
		return 0;
	}
	printf("node:      %d\nqueues:    %" PRIu64 "\n\n", s.node, s.nr_queues);
	printf("%5s %-10s %-6s %-8s %4s %4s %6s %6s %6s %12s %12s %8s %8s %8s %10s %10s\n",
	       "QUEUE", "CPUS", "HCTX", "NVME_QID", "NODE", "HUGE", "SQ", "CQ",
	       "DATA", "SUBMITTED", "COMPLETED", "ERRORS", "INVALID",
	       "INFLIGHT", "READ", "WRITTEN");
	for (i = 0; i < s.nr_queues; i++) {
		struct qsnap *q = &s.q[i];
		char ds[32], rd[32], wr[32];

		human(q->data_size, ds, sizeof(ds));
		human(q->c[C_BREAD], rd, sizeof(rd));
		human(q->c[C_BWRITE], wr, sizeof(wr));
		printf("%5" PRIu64 " %-10s %-6s %-8s %4d %4" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6s %12" PRIu64 " %12" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10s %10s\n",
		       i, q->cpus, q->hctx, q->nvme_qid, q->node, q->huge_pages,
		       q->sq_entries, q->cq_entries, ds, q->c[C_SUB],
		       q->c[C_COMP], q->c[C_ERR], q->c[C_INVAL], q->c[C_INFL],
		       rd, wr);
	}
	snap_free(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* stat                                                                 */
/* ------------------------------------------------------------------ */

void usage_stat(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring stat NAME [--interval S] [--count N] [-o json]\n"
"       nvme-ring stat [NAME] -o prometheus\n"
"\n"
"Without --interval: one snapshot of every queue's counters since the ring\n"
"was enabled. With --interval: like iostat, a report of per-queue rates\n"
"every S seconds (the first covers the first interval), N reports or until\n"
"interrupted. With -o json each report is one JSON object. With\n"
"-o prometheus: the counters of NAME, or of every enabled ring, in\n"
"Prometheus' text format (for node_exporter's textfile collector).\n"
"\n"
"Options:\n"
"  -i, --interval S          seconds between reports (fractions allowed)\n"
"  -c, --count N             number of reports (default: until interrupted)\n"
"  -o, --output-format FMT   normal (default), json or prometheus\n"
"  -h, --help                this text\n");
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Mean latency (ns) of the device-completed commands in counters c */
static double lat_mean_ns(const uint64_t *c)
{
	uint64_t n = c[C_READS] + c[C_WRITES] + c[C_OTHERS];

	return n ? (double)c[C_LAT_TOTAL] / (double)n : 0;
}

static void stat_snapshot(const struct rsnap *s, bool json)
{
	uint64_t i, k;

	if (json) {
		j_open(NULL, '{');
		j_str("name", s->name);
		j_str("state", s->state);
		j_u64("interval", 0);
		j_open("queues", '[');
		for (i = 0; i < s->nr_queues; i++) {
			j_open(NULL, '{');
			j_u64("queue", i);
			for (k = 0; k < NR_COUNTERS; k++)
				j_u64(counter_names[k], s->q[i].c[k]);
			j_dbl("lat_mean_ns", lat_mean_ns(s->q[i].c));
			j_close('}');
		}
		j_close(']');
		j_open("total", '{');
		for (k = 0; k < NR_COUNTERS; k++)
			j_u64(counter_names[k], s->c[k]);
		j_dbl("lat_mean_ns", lat_mean_ns(s->c));
		j_close('}');
		j_close('}');
		return;
	}
	printf("ring %s state %s queues %" PRIu64 "\n", s->name, s->state, s->nr_queues);
	printf("%5s %12s %12s %8s %8s %14s %14s %8s %8s %8s %8s\n", "QUEUE",
	       "SUBMITTED", "COMPLETED", "ERRORS", "INVALID", "BYTES_READ",
	       "BYTES_WRITTEN", "INFLIGHT", "KICKS", "CQ_FULL", "REMOTE");
	for (i = 0; i <= s->nr_queues; i++) {
		const uint64_t *c = i < s->nr_queues ? s->q[i].c : s->c;

		if (i < s->nr_queues)
			printf("%5" PRIu64, i);
		else
			printf("%5s", "total");
		printf(" %12" PRIu64 " %12" PRIu64 " %8" PRIu64 " %8" PRIu64 " %14" PRIu64 " %14" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
		       c[C_SUB], c[C_COMP], c[C_ERR], c[C_INVAL], c[C_BREAD],
		       c[C_BWRITE], c[C_INFL], c[C_KICKS], c[C_CQFULL],
		       c[C_REMOTE]);
	}
	/* what the device completed, by kind, and how long it took */
	printf("%5s %12s %12s %12s %12s %12s\n", "QUEUE", "READS", "WRITES",
	       "OTHERS", "LAT_AVG(us)", "LAT_MAX(us)");
	for (i = 0; i <= s->nr_queues; i++) {
		const uint64_t *c = i < s->nr_queues ? s->q[i].c : s->c;

		if (i < s->nr_queues)
			printf("%5" PRIu64, i);
		else
			printf("%5s", "total");
		printf(" %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12.1f %12.1f\n",
		       c[C_READS], c[C_WRITES], c[C_OTHERS],
		       lat_mean_ns(c) / 1000, (double)c[C_LAT_MAX] / 1000);
	}
}

static void stat_rates(const struct rsnap *a, const struct rsnap *b, bool json)
{
	double dt = ts_diff(&a->when, &b->when);
	uint64_t i;

	if (dt <= 0)
		dt = 1e-9;
	if (json) {
		j_open(NULL, '{');
		j_str("name", b->name);
		j_str("state", b->state);
		j_dbl("interval", dt);
		j_open("queues", '[');
	} else {
		printf("ring %s state %s interval %.2fs\n", b->name, b->state, dt);
		printf("%5s %10s %10s %10s %10s %10s %10s %8s %8s %8s %9s\n",
		       "QUEUE", "IOPS", "SUBMIT/s", "READS/s", "WRITES/s",
		       "READ MB/s", "WRITE MB/s", "ERR/s", "INVAL/s",
		       "INFLIGHT", "LAT(us)");
	}
	for (i = 0; i <= b->nr_queues; i++) {
		const uint64_t *ca = i < b->nr_queues ? a->q[i].c : a->c;
		const uint64_t *cb = i < b->nr_queues ? b->q[i].c : b->c;
		double iops = (double)(cb[C_COMP] - ca[C_COMP]) / dt;
		double subs = (double)(cb[C_SUB] - ca[C_SUB]) / dt;
		double rmb = (double)(cb[C_BREAD] - ca[C_BREAD]) / dt / 1048576;
		double wmb = (double)(cb[C_BWRITE] - ca[C_BWRITE]) / dt / 1048576;
		double errs = (double)(cb[C_ERR] - ca[C_ERR]) / dt;
		double inval = (double)(cb[C_INVAL] - ca[C_INVAL]) / dt;
		double rds = (double)(cb[C_READS] - ca[C_READS]) / dt;
		double wrs = (double)(cb[C_WRITES] - ca[C_WRITES]) / dt;
		double oth = (double)(cb[C_OTHERS] - ca[C_OTHERS]) / dt;
		uint64_t ncmd = cb[C_READS] + cb[C_WRITES] + cb[C_OTHERS] -
				ca[C_READS] - ca[C_WRITES] - ca[C_OTHERS];
		/* the interval's own mean latency, from the sums */
		double lat = ncmd ? (double)(cb[C_LAT_TOTAL] - ca[C_LAT_TOTAL]) /
				    (double)ncmd / 1000 : 0;

		if (json) {
			if (i == b->nr_queues) {
				j_close(']');
				j_open("total", '{');
			} else {
				j_open(NULL, '{');
				j_u64("queue", i);
			}
			j_dbl("iops", iops);
			j_dbl("submits_per_sec", subs);
			j_dbl("read_mib_per_sec", rmb);
			j_dbl("write_mib_per_sec", wmb);
			j_dbl("errors_per_sec", errs);
			j_dbl("invalid_per_sec", inval);
			j_dbl("reads_per_sec", rds);
			j_dbl("writes_per_sec", wrs);
			j_dbl("others_per_sec", oth);
			j_dbl("lat_mean_us", lat);
			j_u64("inflight", cb[C_INFL]);
			j_close('}');
			continue;
		}
		if (i < b->nr_queues)
			printf("%5" PRIu64, i);
		else
			printf("%5s", "total");
		printf(" %10.0f %10.0f %10.0f %10.0f %10.2f %10.2f %8.0f %8.0f %8" PRIu64 " %9.1f\n",
		       iops, subs, rds, wrs, rmb, wmb, errs, inval, cb[C_INFL],
		       lat);
	}
	if (json)
		j_close('}');
	else
		putchar('\n');
	fflush(stdout);
}

/* What each counter is, for Prometheus' HELP lines; and its metric name */
static const struct {
	const char *metric, *help;
	bool gauge;
} prom_counters[NR_COUNTERS] = {
	[C_SUB] = { "submitted_total", "Commands taken from the submission ring." },
	[C_COMP] = { "completed_total", "Completions posted to the completion ring." },
	[C_ERR] = { "errors_total", "Completions with an error (NVMe status or errno)." },
	[C_INVAL] = { "invalid_descs_total", "Submission entries refused by the ring's checks." },
	[C_BREAD] = { "read_bytes_total", "Bytes read by completed commands." },
	[C_BWRITE] = { "written_bytes_total", "Bytes written by completed commands." },
	[C_INFL] = { "inflight_commands", "Commands submitted and not yet completed.", true },
	[C_KICKS] = { "sq_empty_kicks_total", "Kicks that found the submission ring empty." },
	[C_CQFULL] = { "cq_full_events_total", "Times a full completion ring held completions back." },
	[C_REMOTE] = { "remote_submits_total", "Submissions made from a CPU outside the queue's." },
	[C_READS] = { "reads_total", "Read commands the device completed." },
	[C_WRITES] = { "writes_total", "Write commands the device completed." },
	[C_OTHERS] = { "other_commands_total", "Other commands the device completed." },
	[C_LAT_TOTAL] = { "latency_nanoseconds_total", "Sum of the latency of the commands the device completed, submission to completion." },
	[C_LAT_MAX] = { "latency_max_nanoseconds", "Largest latency of a command the device completed.", true },
};

/* A label value, escaped as Prometheus' text format wants */
static void prom_value(const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			putchar('\\');
		if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
}

/* Every queue's counters of the rings in names[], in Prometheus' format. */
static int stat_prometheus(char **names, int n)
{
	struct rsnap *s = calloc((size_t)n + 1, sizeof(*s));
	int i, k, got = 0, ret = 0;
	uint64_t q;

	if (!s) {
		err_msg("out of memory");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (snap_ring(names[i], &s[got], true) || !s[got].enabled) {
			snap_free(&s[got]);
			memset(&s[got], 0, sizeof(s[got]));
			continue;
		}
		got++;
	}
	printf("# HELP nvme_ring_io_ring_info A ring: its namespace device, state and queues.\n");
	printf("# TYPE nvme_ring_io_ring_info gauge\n");
	for (i = 0; i < got; i++) {
		printf("nvme_ring_io_ring_info{ring=\"%s\",device=\"", s[i].name);
		prom_value(s[i].device);
		printf("\",state=\"%s\",queues=\"%" PRIu64 "\"} 1\n", s[i].state,
		       s[i].nr_queues);
	}
	for (k = 0; k < NR_COUNTERS; k++) {
		printf("# HELP nvme_ring_io_%s %s\n", prom_counters[k].metric,
		       prom_counters[k].help);
		printf("# TYPE nvme_ring_io_%s %s\n", prom_counters[k].metric,
		       prom_counters[k].gauge ? "gauge" : "counter");
		for (i = 0; i < got; i++)
			for (q = 0; q < s[i].nr_queues; q++)
				printf("nvme_ring_io_%s{ring=\"%s\",queue=\"%" PRIu64 "\"} %" PRIu64 "\n",
				       prom_counters[k].metric, s[i].name, q,
				       s[i].q[q].c[k]);
	}
	for (i = 0; i < got; i++)
		snap_free(&s[i]);
	free(s);
	if (fflush(stdout)) {
		err_msg("writing: %s", strerror(errno));
		ret = 1;
	}
	return ret;
}

int cmd_stat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interval", 1, NULL, 'i' }, { "count", 1, NULL, 'c' },
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 0;
	uint64_t count = 0, done;
	bool json = false, prom = false;
	struct rsnap a, b;
	const char *name;
	int c;

	while ((c = getopt_long(argc, argv, "i:c:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_double(optarg, &interval) || interval <= 0)
				usage_error(usage_stat, "--interval '%s' is not a positive number of seconds", optarg);
			break;
		case 'c':
			if (parse_u64(optarg, &count) || !count)
				usage_error(usage_stat, "--count '%s' is not a positive number", optarg);
			break;
		case 'o':
			prom = !strcmp(optarg, "prometheus");
			if (!prom)
				json = parse_output(optarg, usage_stat);
			break;
		case 'h': usage_stat(stdout); return 0;
		default: try_help();
		}
	}
	if (prom) {
		char **names;
		int n, i, ret;

		if (interval)
			usage_error(usage_stat, "-o prometheus takes no --interval: Prometheus computes rates itself");
		if (optind + 1 < argc)
			usage_error(usage_stat, "unexpected argument '%s'", argv[optind + 1]);
		if (require_module(false))
			return 1;
		if (optind < argc) {
			if (open_snap(argv[optind], &a, false))
				return 1;
			ret = a.enabled;
			snap_free(&a);
			if (!ret) {
				err_msg("ring '%s' is not enabled: no counters (nvme-ring show %s)",
					argv[optind], argv[optind]);
				return 1;
			}
			names = &argv[optind];
			return stat_prometheus(names, 1);
		}
		n = ring_names(&names);
		ret = stat_prometheus(names, n);
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return ret;
	}
	name = need_name(argc, argv, optind, usage_stat);
	if (count && !interval)
		usage_error(usage_stat, "--count needs --interval");
	if (open_snap(name, &a, true))
		return 1;
	if (!a.enabled) {
		err_msg("ring '%s' is not enabled: no counters (nvme-ring show %s)", name, name);
		snap_free(&a);
		return 1;
	}
	if (!interval) {
		stat_snapshot(&a, json);
		snap_free(&a);
		return 0;
	}
	for (done = 0; !count || done < count; done++) {
		struct timespec ts = {
			.tv_sec = (time_t)interval,
			.tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9),
		};

		nanosleep(&ts, NULL);
		if (snap_ring(name, &b, true) || !b.enabled ||
		    b.nr_queues != a.nr_queues) {
			err_msg("ring '%s' went away", name);
			snap_free(&a);
			snap_free(&b);
			return 1;
		}
		stat_rates(&a, &b, json);
		snap_free(&a);
		a = b;
	}
	snap_free(&a);
	return 0;
}
