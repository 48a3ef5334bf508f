// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: administer nvme_ring_io rings and measure them.
 *
 * A thin, scriptable front over the module's configfs and sysfs trees:
 *
 *   /sys/kernel/config/nvme_ring_io/<name>/   configuration, enable
 *   /sys/class/nvme_ring_io/<name>/           state and counters
 *   /dev/nvme_ring/<name>                     the ring (libnvmering)
 *
 *   nvme-ring create NAME --device DEV [options]
 *   nvme-ring list|show NAME|stat NAME|destroy NAME
 *   nvme-ring perf NAME [options]
 *
 * Every subcommand takes --help. list, show, stat and perf take -o json.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nvmering.h"
#include "nvmering-uring.h"
#include "clock.h"
#include "lat-hist.h"
#include "nvme-cmd.h"
#include "pattern.h"
#include "rng.h"

#define PROG		"nvme-ring"
#define VERSION		"1.0"
#define MODULE_NAME	"nvme_ring_io"
#define CFS_ROOT	"/sys/kernel/config/nvme_ring_io"
#define SYS_ROOT	"/sys/class/nvme_ring_io"
#define DEV_ROOT	"/dev/" NVME_RING_IO_DEV_DIR

/* Exit codes: 0 ok, 1 operation failed, 2 usage error. */
#define EXIT_USAGE	2

static const char *cur_cmd = "";

static void __attribute__((format(printf, 1, 2))) err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", PROG, *cur_cmd ? " " : "", cur_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2))) hint(const char *fmt, ...)
{
	va_list ap;

	fputs("  hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

/* Read a small file, strip the trailing newline. Returns length or -errno. */
static int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return (int)n;
}

static int read_strf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int read_strf(char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return read_str(path, buf, size);
}

/* A sysfs number; 0 when missing. */
static uint64_t read_u64f(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static uint64_t read_u64f(const char *fmt, ...)
{
	char path[PATH_MAX], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (read_str(path, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 0);
}

static int write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Fail with advice when the module or configfs is not there. */
static int require_module(bool need_configfs)
{
	if (!is_dir("/sys/module/" MODULE_NAME)) {
		err_msg("nvme_ring_io module not loaded: modprobe nvme_ring_io");
		return -1;
	}
	if (need_configfs && !is_dir(CFS_ROOT)) {
		if (!is_dir("/sys/kernel/config") ||
		    !is_dir("/sys/kernel/config/" MODULE_NAME))
			err_msg("%s is missing: mount configfs with 'mount -t configfs none /sys/kernel/config'",
				CFS_ROOT);
		return -1;
	}
	return 0;
}

static bool valid_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > 31 || !strncmp(name, "anon.", 5))
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return false;
	return true;
}

static bool ring_configured(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CFS_ROOT "/%s", name);
	return is_dir(path);
}

static bool ring_live_sysfs(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_ROOT "/%s", name);
	return is_dir(path);
}

/*
 * The kernel explains refused configfs writes in its log
 * ("nvme_ring_io: NAME: attr: reason"). klog_mark() opens /dev/kmsg at its
 * end before a write; kernel_reason() then returns the module's newest
 * message logged since.
 */
static int klog_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static bool kernel_reason(int fd, char *out, size_t size)
{
	char rec[1024];
	bool found = false;
	ssize_t n;

	if (fd < 0)
		return false;
	for (;;) {
		char *msg, *nl;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (strncmp(msg, MODULE_NAME ": ", strlen(MODULE_NAME) + 2))
			continue;
		snprintf(out, size, "%s", msg + strlen(MODULE_NAME) + 2);
		found = true;
	}
	close(fd);
	return found;
}

/* ------------------------------------------------------------------ */
/* JSON: one value per line, fixed key order                            */
/* ------------------------------------------------------------------ */

static struct {
	int depth;
	bool comma[16];
} js;

static void j_sep(const char *key)
{
	if (js.depth) {
		fputs(js.comma[js.depth] ? ",\n" : "\n", stdout);
		printf("%*s", js.depth * 2, "");
	}
	js.comma[js.depth] = true;
	if (key)
		printf("\"%s\": ", key);
}

static void j_strval(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void j_open(const char *key, char brace)
{
	j_sep(key);
	putchar(brace);
	js.depth++;
	js.comma[js.depth] = false;
}

static void j_close(char brace)
{
	bool any = js.comma[js.depth];

	js.depth--;
	if (any)
		printf("\n%*s", js.depth * 2, "");
	putchar(brace);
	if (!js.depth)
		putchar('\n');
}

static void j_str(const char *key, const char *val)
{
	j_sep(key);
	j_strval(val);
}

static void j_u64(const char *key, uint64_t v)
{
	j_sep(key);
	printf("%" PRIu64, v);
}

static void j_i64(const char *key, int64_t v)
{
	j_sep(key);
	printf("%" PRId64, v);
}

static void j_dbl(const char *key, double v)
{
	j_sep(key);
	printf("%.2f", v);
}

static void j_bool(const char *key, bool v)
{
	j_sep(key);
	fputs(v ? "true" : "false", stdout);
}

/* ------------------------------------------------------------------ */
/* Parsing helpers                                                      */
/* ------------------------------------------------------------------ */

/* Size with optional k/m/g (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 'g': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s || *out < 0 ? -1 : 0;
}

/* A CPU list "0-3,8": just its syntax; the kernel checks the CPUs. */
static bool cpulist_syntax_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
			return false;
	return true;
}

static void usage_error(void (*usage)(FILE *), const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void usage_error(void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", PROG, cur_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	(void)usage;
	fprintf(stderr, "Try '%s %s --help'.\n", PROG, cur_cmd);
	exit(EXIT_USAGE);
}

/* -o json / -o normal */
static bool parse_output(const char *s, void (*usage)(FILE *))
{
	if (!strcmp(s, "json"))
		return true;
	if (!strcmp(s, "normal") || !strcmp(s, "table"))
		return false;
	usage_error(usage, "unknown output format '%s' (json or normal)", s);
}

/* ------------------------------------------------------------------ */
/* create                                                               */
/* ------------------------------------------------------------------ */

static void usage_create(FILE *f)
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
"  -O, --opcodes LIST      allowed commands, e.g. read,write,flush or numbers\n"
"      --sq-poll           a kernel thread per queue polls the SQ, so clients\n"
"                          submit without system calls\n"
"      --sq-poll-idle MS   the poller sleeps after MS idle milliseconds (1000)\n"
"      --poll              poll for completions on the device's poll queues\n"
"                          (nvme.poll_queues=N) instead of taking interrupts\n"
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
	A_SQPOLL_IDLE, A_POLL, A_NR
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
		return "--opcodes takes a comma list of read,write,flush,write_zeroes,dsm,compare or numbers";
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

static int owner_parse(const char *s, struct attr_val *uid, struct attr_val *gid)
{
	char user[64], *colon;
	uint64_t n;

	snprintf(user, sizeof(user), "%s", s);
	colon = strchr(user, ':');
	if (colon) {
		*colon++ = 0;
		if (*colon) {
			if (!parse_u64(colon, &n)) {
				snprintf(gid->val, sizeof(gid->val), "%" PRIu64, n);
			} else {
				struct group *g = getgrnam(colon);

				if (!g)
					return -1;
				snprintf(gid->val, sizeof(gid->val), "%u", g->gr_gid);
			}
			gid->set = true;
		}
	}
	if (*user) {
		if (!parse_u64(user, &n)) {
			snprintf(uid->val, sizeof(uid->val), "%" PRIu64, n);
		} else {
			struct passwd *p = getpwnam(user);

			if (!p)
				return -1;
			snprintf(uid->val, sizeof(uid->val), "%u", p->pw_uid);
			if (!colon) {
				snprintf(gid->val, sizeof(gid->val), "%u", p->pw_gid);
				gid->set = true;
			}
		}
		uid->set = true;
	}
	return uid->set || gid->set ? 0 : -1;
}

static int cmd_create(int argc, char **argv)
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
		{ "poll", 0, NULL, 7 },
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
		case 7: SETV(A_POLL, "1"); break;
		case 6:
			if (parse_u64(optarg, &n))
				usage_error(usage_create, "--sq-poll-idle '%s' is not a number of milliseconds", optarg);
			SETV(A_SQPOLL_IDLE, optarg);
			break;
		case 'h': usage_create(stdout); return 0;
		default: fprintf(stderr, "Try \'%s %s --help\'.\n", PROG, cur_cmd); return EXIT_USAGE;
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

static void usage_destroy(FILE *f)
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

static int simple_opts(int argc, char **argv, void (*usage)(FILE *),
		       bool *json)
{
	static const struct option lo[] = {
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, json ? "o:h" : "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!json)
				usage_error(usage, "-o is not supported here");
			*json = parse_output(optarg, usage);
			break;
		case 'h': usage(stdout); exit(0);
		default: fprintf(stderr, "Try '%s %s --help'.\n", PROG, cur_cmd); exit(EXIT_USAGE);
		}
	}
	return optind;
}

static const char *need_name(int argc, char **argv, int ind,
			     void (*usage)(FILE *))
{
	if (ind >= argc)
		usage_error(usage, "missing ring NAME");
	if (ind + 1 < argc)
		usage_error(usage, "unexpected argument '%s'", argv[ind + 1]);
	return argv[ind];
}

static int cmd_destroy(int argc, char **argv)
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
/* Ring and queue snapshots from sysfs                                  */
/* ------------------------------------------------------------------ */

static const char *const counter_names[] = {
	"submitted", "completed", "errors", "invalid_descs", "bytes_read",
	"bytes_written", "inflight", "sq_empty_kicks", "cq_full_events",
	"remote_submits",
};
#define NR_COUNTERS	(sizeof(counter_names) / sizeof(counter_names[0]))
enum { C_SUB, C_COMP, C_ERR, C_INVAL, C_BREAD, C_BWRITE, C_INFL, C_KICKS,
       C_CQFULL, C_REMOTE };

struct qsnap {
	char cpus[128], hctx[64], nvme_qid[64];
	int node;
	uint64_t huge_pages, sq_entries, cq_entries, data_size;
	uint64_t c[NR_COUNTERS];
};

struct rsnap {
	char name[64];
	bool configured, enabled;
	char device[256], state[16];
	uint64_t nsid, nr_queues;
	int node;
	uint64_t c[NR_COUNTERS];
	struct qsnap *q;
	/* configfs */
	char cfg_cpus[128], opcodes[256], mode[16];
	uint64_t sq_entries, cq_entries, data_size, hugepages, uid, gid;
	uint64_t lba_start, lba_count, cfg_queues;
	int cfg_node;
	struct timespec when;
};

static void snap_free(struct rsnap *s)
{
	free(s->q);
	s->q = NULL;
}

static int snap_ring(const char *name, struct rsnap *s, bool queues)
{
	char buf[64];
	uint64_t i, k;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->configured = ring_configured(name);
	s->enabled = ring_live_sysfs(name);
	if (!s->configured && !s->enabled)
		return -ENOENT;
	if (s->configured) {
#define CF(attr) read_u64f(CFS_ROOT "/%s/" attr, name)
		read_strf(s->device, sizeof(s->device), CFS_ROOT "/%s/device", name);
		read_strf(s->cfg_cpus, sizeof(s->cfg_cpus), CFS_ROOT "/%s/cpus", name);
		read_strf(s->opcodes, sizeof(s->opcodes), CFS_ROOT "/%s/opcodes", name);
		read_strf(s->mode, sizeof(s->mode), CFS_ROOT "/%s/mode", name);
		s->sq_entries = CF("sq_entries");
		s->cq_entries = CF("cq_entries");
		s->data_size = CF("data_size");
		s->hugepages = CF("hugepages");
		s->uid = CF("uid");
		s->gid = CF("gid");
		s->lba_start = CF("lba_start");
		s->lba_count = CF("lba_count");
		s->cfg_queues = CF("nr_queues");
		s->cfg_node = -1;
		if (read_strf(buf, sizeof(buf), CFS_ROOT "/%s/numa_node", name) > 0)
			s->cfg_node = atoi(buf);
#undef CF
	}
	snprintf(s->state, sizeof(s->state), "disabled");
	s->node = -1;
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	if (!s->enabled)
		return 0;
	if (!s->configured)
		read_strf(s->device, sizeof(s->device), SYS_ROOT "/%s/device", name);
	read_strf(s->state, sizeof(s->state), SYS_ROOT "/%s/state", name);
	s->nsid = read_u64f(SYS_ROOT "/%s/nsid", name);
	s->nr_queues = read_u64f(SYS_ROOT "/%s/nr_queues", name);
	if (read_strf(buf, sizeof(buf), SYS_ROOT "/%s/numa_node", name) > 0)
		s->node = atoi(buf);
	for (k = 0; k < NR_COUNTERS; k++)
		s->c[k] = read_u64f(SYS_ROOT "/%s/%s", name, counter_names[k]);
	if (!queues || !s->nr_queues)
		return 0;
	s->q = calloc(s->nr_queues, sizeof(*s->q));
	if (!s->q)
		return -ENOMEM;
	for (i = 0; i < s->nr_queues; i++) {
		struct qsnap *q = &s->q[i];

#define QF(attr) read_u64f(SYS_ROOT "/%s/queues/%" PRIu64 "/" attr, name, i)
		read_strf(q->cpus, sizeof(q->cpus), SYS_ROOT "/%s/queues/%" PRIu64 "/cpus", name, i);
		read_strf(q->hctx, sizeof(q->hctx), SYS_ROOT "/%s/queues/%" PRIu64 "/hctx", name, i);
		read_strf(q->nvme_qid, sizeof(q->nvme_qid), SYS_ROOT "/%s/queues/%" PRIu64 "/nvme_qid", name, i);
		q->node = -1;
		if (read_strf(buf, sizeof(buf), SYS_ROOT "/%s/queues/%" PRIu64 "/numa_node", name, i) > 0)
			q->node = atoi(buf);
		q->huge_pages = QF("huge_pages");
		q->sq_entries = QF("sq_entries");
		q->cq_entries = QF("cq_entries");
		q->data_size = QF("data_size");
		for (k = 0; k < NR_COUNTERS; k++)
			q->c[k] = read_u64f(SYS_ROOT "/%s/queues/%" PRIu64 "/%s",
					    name, i, counter_names[k]);
#undef QF
	}
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return 0;
}

static int open_snap(const char *name, struct rsnap *s, bool queues)
{
	int ret;

	if (require_module(false))
		return -1;
	ret = snap_ring(name, s, queues);
	if (ret == -ENOENT) {
		err_msg("no ring named '%s' (nvme-ring list shows the rings)", name);
		return -1;
	}
	if (ret) {
		err_msg("%s: %s", name, strerror(-ret));
		return -1;
	}
	return 0;
}

/* Ring names: configfs directories, then anonymous rings in sysfs. */
static int ring_names(char ***out)
{
	const char *roots[] = { CFS_ROOT, SYS_ROOT };
	char **names = NULL;
	int n = 0, i, k;

	for (k = 0; k < 2; k++) {
		struct dirent **ents;
		int m = scandir(roots[k], &ents, NULL, versionsort);

		for (i = 0; i < m; i++) {
			const char *d = ents[i]->d_name;
			bool dup = false;
			int j;

			if (d[0] == '.' || (k == 0 && !strcmp(d, "features")))
				goto next;
			if (k == 0) {
				char p[PATH_MAX];

				snprintf(p, sizeof(p), "%s/%s", roots[k], d);
				if (!is_dir(p))
					goto next;
			}
			for (j = 0; j < n; j++)
				dup |= !strcmp(names[j], d);
			if (!dup) {
				names = realloc(names, sizeof(*names) * (n + 1));
				if (!names)
					exit(1);
				names[n++] = strdup(d);
			}
next:
			free(ents[i]);
		}
		if (m > 0)
			free(ents);
	}
	*out = names;
	return n;
}

/* ------------------------------------------------------------------ */
/* list                                                                 */
/* ------------------------------------------------------------------ */

static void usage_list(FILE *f)
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

static int cmd_list(int argc, char **argv)
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
			j_str("name", s.name);
			j_str("device", s.device);
			j_str("state", s.state);
			j_bool("anonymous", !s.configured);
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

static void usage_show(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring show NAME [-o json]\n"
"\n"
"Show the ring's configuration and a table of its queues: CPUs, blk-mq\n"
"hardware context, NVMe queue id, memory node, huge pages and counters.\n"
"\n"
"Options:\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n");
}

static void human(uint64_t v, char *buf, size_t size)
{
	const char *u = "KMGT";
	double d = (double)v;
	int i = -1;

	while (d >= 1024 && i < 3) {
		d /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%" PRIu64, v);
	else
		snprintf(buf, size, "%.*f%c", d == (uint64_t)d ? 0 : 1, d, u[i]);
}

static int cmd_show(int argc, char **argv)
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
		j_str("name", s.name);
		j_str("device", s.device);
		j_str("state", s.state);
		j_bool("anonymous", !s.configured);
		j_u64("nsid", s.nsid);
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

static void usage_stat(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring stat NAME [--interval S] [--count N] [-o json]\n"
"\n"
"Without --interval: one snapshot of every queue's counters since the ring\n"
"was enabled. With --interval: like iostat, a report of per-queue rates\n"
"every S seconds (the first covers the first interval), N reports or until\n"
"interrupted. With -o json each report is one JSON object.\n"
"\n"
"Options:\n"
"  -i, --interval S          seconds between reports (fractions allowed)\n"
"  -c, --count N             number of reports (default: until interrupted)\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n");
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
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
			j_close('}');
		}
		j_close(']');
		j_open("total", '{');
		for (k = 0; k < NR_COUNTERS; k++)
			j_u64(counter_names[k], s->c[k]);
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
		printf("%5s %10s %10s %10s %10s %8s %8s %8s\n", "QUEUE",
		       "IOPS", "SUBMIT/s", "READ MB/s", "WRITE MB/s", "ERR/s",
		       "INVAL/s", "INFLIGHT");
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
			j_u64("inflight", cb[C_INFL]);
			j_close('}');
			continue;
		}
		if (i < b->nr_queues)
			printf("%5" PRIu64, i);
		else
			printf("%5s", "total");
		printf(" %10.0f %10.0f %10.2f %10.2f %8.0f %8.0f %8" PRIu64 "\n",
		       iops, subs, rmb, wmb, errs, inval, cb[C_INFL]);
	}
	if (json)
		j_close('}');
	else
		putchar('\n');
	fflush(stdout);
}

static int cmd_stat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interval", 1, NULL, 'i' }, { "count", 1, NULL, 'c' },
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 0;
	uint64_t count = 0, done;
	bool json = false;
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
		case 'o': json = parse_output(optarg, usage_stat); break;
		case 'h': usage_stat(stdout); return 0;
		default: fprintf(stderr, "Try \'%s %s --help\'.\n", PROG, cur_cmd); return EXIT_USAGE;
		}
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

/* ------------------------------------------------------------------ */
/* perf                                                                 */
/* ------------------------------------------------------------------ */

static void usage_perf(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring perf NAME [options]\n"
"\n"
"Drive every queue of the ring NAME with one client process per queue,\n"
"pinned to the queue's CPUs with its memory on the ring's node, each keeping\n"
"DEPTH commands in flight in its own slice of the ring's LBA window. Prints\n"
"per-queue and total IOPS, MiB/s, errors and latency percentiles (p50/p99,\n"
"measured per batch). Exits non-zero when a command fails, data does not\n"
"verify, or the ring dies.\n"
"\n"
"Options:\n"
"  -r, --rw MODE             randread (default), randwrite, read, write, randrw\n"
"  -b, --bs SIZE             bytes per command, a multiple of the LBA size (default 4k)\n"
"  -d, --depth N             commands in flight per queue (default 32, or\n"
"                            less when the ring's queues hold fewer)\n"
"  -t, --time S              run S seconds (default 5)\n"
"  -n, --ios N               run N commands in all instead, split across queues\n"
"  -q, --queues LIST         only these queues, e.g. 0,2 (default: all)\n"
"  -s, --size SIZE           bytes of each queue's slice to use (default: all\n"
"                            of it; 16M with --verify)\n"
"  -V, --verify              write a pattern first, check every byte read, and\n"
"                            after a write workload read it all back\n"
"  -S, --submit HOW          ioctl (default): SUBMIT and COMPLETE ioctls;\n"
"                            uring: URING_KICK and URING_WAIT_CQ through an\n"
"                            io_uring; sqpoll: publish only, the ring's SQ\n"
"                            poller consumes (needs a ring made with --sq-poll)\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n"
"\n"
"Writes destroy data in the ring's LBA window.\n");
}

enum rw_mode { RW_RANDREAD, RW_RANDWRITE, RW_READ, RW_WRITE, RW_RANDRW };
static const char *const rw_names[] = {
	"randread", "randwrite", "read", "write", "randrw",
};

/* One queue's results, shared with the parent. */
struct qresult {
	_Atomic uint64_t ios, bytes, errors;	/* live, for the progress line */
	uint64_t reads, writes, mismatches, verified_bytes;
	double seconds;
	int status;		/* 0 ok, 1 failed */
	int dead;		/* the ring died */
	int started;
	char cpus[64];
	int node;
	char msg[256];		/* the first failure */
	struct lat_hist lat;
};

/*
 * How a client hands its SQ to the kernel and waits for completions:
 * ioctl (SUBMIT and COMPLETE), uring (URING_KICK and URING_WAIT_CQ through
 * an io_uring) or sqpoll (publish only; the ring's SQ poller consumes, and
 * is kicked only when it sleeps).
 */
enum submit_mode { SUBMIT_IOCTL, SUBMIT_URING, SUBMIT_SQPOLL };
static const char *const submit_names[] = { "ioctl", "uring", "sqpoll" };

struct perf_opts {
	const char *name;
	enum rw_mode rw;
	uint32_t bs;
	uint32_t depth;
	double time;
	uint64_t ios;		/* 0: by time */
	uint64_t size;		/* 0: whole slice */
	bool verify;
	bool json;
	uint32_t nq;		/* queues of the ring */
	uint64_t qmask[4];	/* queues to run */
	uint32_t run;		/* how many */
	uint32_t seed;
	enum submit_mode submit;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static bool opcode_allowed(const struct nvmering *r, uint8_t opc)
{
	return r->info.opcodes[opc / 8] & (1U << (opc % 8));
}

struct worker {
	struct nvmering r;
	const struct perf_opts *o;
	struct qresult *res;
	uint32_t q, lbsz, nlb, depth;
	uint64_t first, blocks;	/* slice: first LBA, commands of nlb LBAs */
	uint64_t seq;
	struct rng rnd;
	uint64_t *issued_at;	/* per slot */
	uint32_t *free_slots, nfree;
	struct io_uring ring;	/* SUBMIT_URING */
	bool uring_ready;
	bool waiting;		/* a URING_WAIT_CQ is pending */
};

#define TAG_KICK	1
#define TAG_WAIT	2

/* Look at io_uring completions: kick results and waiters. */
static int uring_reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	int err = 0;

	while (io_uring_peek_cqe(&w->ring, &cqe) == 0) {
		if (cqe->user_data == TAG_WAIT)
			w->waiting = false;
		if (cqe->res < 0 && cqe->res != -EAGAIN && cqe->res != -EINTR &&
		    !err)
			err = cqe->res;
		io_uring_cqe_seen(&w->ring, cqe);
	}
	return err;
}

/* Hand the published SQ to the kernel the chosen way. */
static int perf_submit(struct worker *w)
{
	struct io_uring_sqe *sqe;

	switch (w->o->submit) {
	case SUBMIT_SQPOLL:
		return nvmering_sq_commit(&w->r) < 0 ? -errno : 0;
	case SUBMIT_URING:
		nvmering_sq_publish(&w->r);
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe) {
			io_uring_submit(&w->ring);
			sqe = io_uring_get_sqe(&w->ring);
		}
		nvmering_prep_uring_kick(sqe, &w->r, 0);
		io_uring_sqe_set_data64(sqe, TAG_KICK);
		io_uring_submit(&w->ring);
		return uring_reap(w);
	default:
		return nvmering_submit(&w->r, 0);
	}
}

/* Wait up to timeout_ms for a ring completion; -ETIME when none came. */
static int perf_wait(struct worker *w, uint32_t timeout_ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (timeout_ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int ret;

	if (w->o->submit != SUBMIT_URING)
		return nvmering_wait(&w->r, 1, timeout_ms);
	ret = uring_reap(w);
	if (ret)
		return ret;
	if (nvmering_cq_ready(&w->r))
		return 0;
	if (!w->waiting) {
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe) {
			io_uring_submit(&w->ring);
			sqe = io_uring_get_sqe(&w->ring);
		}
		nvmering_prep_uring_wait_cq(sqe, &w->r, 1);
		io_uring_sqe_set_data64(sqe, TAG_WAIT);
		w->waiting = true;
	}
	ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
	if (ret < 0 && ret != -ETIME && ret != -EINTR)
		return ret;
	ret = uring_reap(w);
	if (ret)
		return ret;
	return nvmering_cq_ready(&w->r) ? 0 : -ETIME;
}

static void wfail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void wfail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->res->status = 1;
	if (w->res->msg[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->res->msg, sizeof(w->res->msg), fmt, ap);
	va_end(ap);
}

/* Why a ring that is no longer live stopped. */
static const char *dead_reason(const char *name)
{
	const char *base = strrchr(name, '/');
	char st[16];

	/* sysfs says "disabled" from the start of a teardown, then goes */
	if (read_strf(st, sizeof(st), SYS_ROOT "/%s/state", base ? base + 1 : name) <= 0 ||
	    strcmp(st, "dead"))
		return "the ring was disabled or destroyed";
	return "its NVMe device went away";
}

/* Has the ring died under us? */
static bool ring_dead(struct worker *w)
{
	if (nvmering_refresh(&w->r))
		return true;
	return w->r.info.state != NVME_RING_STATE_LIVE;
}

enum phase { PH_FILL, PH_RUN, PH_CHECK };

/*
 * One phase: PH_FILL writes the pattern over the slice, PH_RUN runs the
 * workload for the time or count, PH_CHECK reads the slice back.
 * Returns 0, or -1 when the worker must stop.
 */
static int run_phase(struct worker *w, enum phase ph, uint64_t limit_ios,
		     uint64_t end_ns)
{
	const struct perf_opts *o = w->o;
	uint32_t bsz = w->nlb * w->lbsz, inflight = 0, i;
	uint64_t issued = 0, idle_since = 0;
	bool stop = false;

	w->seq = 0;
	for (;;) {
		uint64_t now = now_ns(), pushed = 0;
		struct nvme_ring_cqe cqes[256];
		uint32_t n;

		if (ph == PH_RUN && (stop_flag || (end_ns && now >= end_ns)))
			stop = true;
		if (ph != PH_RUN && stop_flag)
			stop = true;
		if (!stop && limit_ios && issued >= limit_ios)
			stop = true;
		while (!stop && w->nfree && nvmering_sq_space(&w->r) &&
		       (!limit_ios || issued < limit_ios)) {
			uint32_t s = w->free_slots[--w->nfree];
			uint64_t slot = nvmering_slot_off(&w->r, s);
			uint64_t buf = nvmering_buf_off(&w->r, w->depth, s, bsz);
			uint64_t blk;
			bool write;

			switch (ph == PH_RUN ? o->rw : (ph == PH_FILL ? RW_WRITE : RW_READ)) {
			case RW_RANDREAD: write = false; blk = rng_next(&w->rnd) % w->blocks; break;
			case RW_RANDWRITE: write = true; blk = rng_next(&w->rnd) % w->blocks; break;
			case RW_READ: write = false; blk = w->seq++ % w->blocks; break;
			case RW_WRITE: write = true; blk = w->seq++ % w->blocks; break;
			default:
				blk = rng_next(&w->rnd);
				write = blk & (1ULL << 40);
				blk %= w->blocks;
				break;
			}
			uint64_t lba = w->first + blk * w->nlb;

			if (write) {
				if (o->verify)
					pattern_fill(nvmering_buf(&w->r, buf), lba,
						     w->nlb, w->lbsz, o->seed);
				nvmering_prep_write(&w->r, slot, buf, lba, w->nlb);
			} else {
				nvmering_prep_read(&w->r, slot, buf, lba, w->nlb);
			}
			nvmering_slot(&w->r, slot)->user_data = lba;
			w->issued_at[s] = now;
			nvmering_sq_push(&w->r, slot);
			issued++;
			inflight++;
			pushed++;
		}
		if (pushed || (inflight && nvmering_sq_space(&w->r) <= w->r.sq_mask)) {
			int ret = perf_submit(w);

			if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
				if (ring_dead(w)) {
					w->res->dead = 1;
					wfail(w, "queue %u: the ring died: %s", w->q, dead_reason(o->name));
				} else {
					wfail(w, "queue %u: SUBMIT failed: %s", w->q, strerror(-ret));
				}
				return -1;
			}
		}
		if (!inflight) {
			if (stop || (limit_ios && issued >= limit_ios))
				return 0;
			continue;
		}
		n = nvmering_peek_cqes(&w->r, cqes, 256);
		if (!n) {
			int ret = perf_wait(w, 1000);

			if (ret && ret != -ETIME && ret != -EINTR) {
				if (ring_dead(w)) {
					w->res->dead = 1;
					wfail(w, "queue %u: the ring died: %s", w->q, dead_reason(o->name));
				} else {
					wfail(w, "queue %u: COMPLETE failed: %s", w->q, strerror(-ret));
				}
				return -1;
			}
			if (ret) {
				if (!idle_since)
					idle_since = now;
				if (ring_dead(w)) {
					w->res->dead = 1;
					wfail(w, "queue %u: the ring died with %u commands in flight: %s", w->q, inflight, dead_reason(o->name));
					return -1;
				}
				if (now - idle_since > 30000000000ULL) {
					wfail(w, "queue %u: no completion for 30 s with %u commands in flight", w->q, inflight);
					return -1;
				}
				continue;
			}
			n = nvmering_peek_cqes(&w->r, cqes, 256);
		}
		idle_since = 0;
		now = now_ns();
		for (i = 0; i < n; i++) {
			struct nvme_ring_slot *sl;
			uint32_t s = (uint32_t)(cqes[i].slot / NVME_RING_SLOT_SIZE);
			bool write;
			uint64_t lba;

			if (cqes[i].flags & NVME_RING_CQE_F_BAD_SLOT || s >= w->depth) {
				wfail(w, "queue %u: completion for a slot we never used (0x%llx, err %d)",
				      w->q, (unsigned long long)cqes[i].slot, cqes[i].err);
				return -1;
			}
			sl = nvmering_slot(&w->r, cqes[i].slot);
			write = nvme_sqe(sl->cmd)->opcode == NVME_OPC_WRITE;
			lba = sl->user_data;
			if (ph == PH_RUN)
				lat_hist_add(&w->res->lat, now - w->issued_at[s]);
			if (cqes[i].status || cqes[i].err) {
				atomic_fetch_add(&w->res->errors, 1);
				if (cqes[i].err)
					wfail(w, "queue %u: %s of LBA %" PRIu64 " failed: %s%s",
					      w->q, write ? "write" : "read", lba,
					      strerror(-cqes[i].err),
					      cqes[i].flags & NVME_RING_CQE_F_REJECTED ? " (refused by the ring)" : "");
				else
					wfail(w, "queue %u: %s of LBA %" PRIu64 " failed: NVMe status 0x%x (%s)",
					      w->q, write ? "write" : "read", lba,
					      cqes[i].status, nvmering_status_str(cqes[i].status));
			} else {
				if (!write && o->verify) {
					uint8_t *p = nvmering_buf(&w->r, sl->data_off);
					uint32_t k, off;

					for (k = 0; k < w->nlb; k++) {
						if (!pattern_check(p + (size_t)k * w->lbsz, lba + k,
								   w->lbsz, o->seed, &off)) {
							w->res->mismatches++;
							wfail(w, "queue %u: data mismatch at LBA %" PRIu64 " byte %u",
							      w->q, lba + k, off);
						} else {
							w->res->verified_bytes += w->lbsz;
						}
					}
				}
				if (ph == PH_RUN) {
					if (write)
						w->res->writes++;
					else
						w->res->reads++;
				}
			}
			if (ph == PH_RUN) {
				atomic_fetch_add_explicit(&w->res->ios, 1, memory_order_relaxed);
				atomic_fetch_add_explicit(&w->res->bytes, bsz, memory_order_relaxed);
			}
			w->free_slots[w->nfree++] = s;
			inflight--;
		}
		nvmering_cq_advance(&w->r, n);
	}
}

static int perf_worker(const struct perf_opts *o, uint32_t q, uint32_t idx,
		       struct qresult *res)
{
	struct worker w = { .o = o, .res = res, .q = q };
	uint64_t win_start, win_count, per, slice_blocks, limit = 0, t0;
	uint32_t cpu;
	int ret, n;

	ret = nvmering_open(&w.r, o->name, (int)q);
	if (ret) {
		wfail(&w, "queue %u: cannot open the ring: %s", q, strerror(-ret));
		return 1;
	}
	ret = nvmering_pin(&w.r);
	if (ret)
		wfail(&w, "queue %u: cannot pin to the queue's CPUs: %s", q, strerror(-ret));
	for (cpu = 0, n = 0; cpu < 256; cpu++) {
		if (!(w.r.qinfo.cpus[cpu / 64] & (1ULL << (cpu % 64))))
			continue;
		if (n < (int)sizeof(res->cpus) - 8)
			n += snprintf(res->cpus + n, sizeof(res->cpus) - (size_t)n, "%s%u", n ? "," : "", cpu);
	}
	res->node = w.r.qinfo.numa_node;
	if (ret)
		goto out;
	if (o->submit == SUBMIT_SQPOLL && !nvmering_sq_polled(&w.r)) {
		wfail(&w, "queue %u: --submit sqpoll needs a ring with an SQ poller (nvme-ring create --sq-poll)", q);
		goto out;
	}
	if (o->submit == SUBMIT_URING) {
		ret = io_uring_queue_init(64, &w.ring, 0);
		if (ret) {
			wfail(&w, "queue %u: io_uring_queue_init: %s", q, strerror(-ret));
			goto out;
		}
		w.uring_ready = true;
	}
	w.lbsz = 1U << w.r.info.lba_shift;
	w.nlb = o->bs / w.lbsz;
	w.depth = o->depth;
	/* slices of the LBA window, one per running queue */
	win_start = w.r.info.lba_start;
	win_count = w.r.info.lba_count;
	per = win_count / o->run;
	slice_blocks = per / w.nlb;
	if (o->size && o->size / o->bs < slice_blocks)
		slice_blocks = o->size / o->bs;
	if (!slice_blocks) {
		wfail(&w, "queue %u: the LBA window (%" PRIu64 " LBAs) is too small for %u queues of %u-byte commands",
		      q, win_count, o->run, o->bs);
		goto out;
	}
	w.first = win_start + (uint64_t)idx * per;
	w.blocks = slice_blocks;
	rng_seed(&w.rnd, ((uint64_t)o->seed << 16) ^ q);
	w.issued_at = calloc(w.depth, sizeof(*w.issued_at));
	w.free_slots = calloc(w.depth, sizeof(*w.free_slots));
	if (!w.issued_at || !w.free_slots) {
		wfail(&w, "queue %u: out of memory", q);
		goto out;
	}
	for (w.nfree = 0; w.nfree < w.depth; w.nfree++)
		w.free_slots[w.nfree] = w.depth - 1 - w.nfree;
	if (o->ios) {
		limit = o->ios / o->run + (idx < o->ios % o->run ? 1 : 0);
		if (!limit)
			goto out;
	}
	res->started = 1;
	/* every block of the slice gets the pattern, so every read can check */
	if (o->verify) {
		if (run_phase(&w, PH_FILL, w.blocks, 0))
			goto out;
	}
	t0 = now_ns();
	ret = run_phase(&w, PH_RUN, limit, o->ios ? 0 : t0 + (uint64_t)(o->time * 1e9));
	res->seconds = (double)(now_ns() - t0) / 1e9;
	if (ret)
		goto out;
	if (o->verify && o->rw != RW_READ && o->rw != RW_RANDREAD)
		run_phase(&w, PH_CHECK, w.blocks, 0);
out:
	free(w.issued_at);
	free(w.free_slots);
	if (w.uring_ready)
		io_uring_queue_exit(&w.ring);
	nvmering_close(&w.r);
	return res->status;
}

static void perf_row(bool json, const char *label, int64_t q, const char *cpus,
		     int node, uint64_t ios, uint64_t bytes, uint64_t errors,
		     uint64_t mism, double secs, const struct lat_hist *lat)
{
	double iops = secs > 0 ? (double)ios / secs : 0;
	double mibs = secs > 0 ? (double)bytes / secs / 1048576 : 0;
	double p50 = lat_hist_pct(lat, 50) / 1000, p99 = lat_hist_pct(lat, 99) / 1000;

	if (json) {
		if (q >= 0) {
			j_open(NULL, '{');
			j_i64("queue", q);
			j_str("cpus", cpus);
			j_i64("numa_node", node);
		} else {
			j_open("total", '{');
		}
		j_u64("ios", ios);
		j_u64("bytes", bytes);
		j_dbl("seconds", secs);
		j_dbl("iops", iops);
		j_dbl("mib_per_sec", mibs);
		j_u64("errors", errors);
		j_u64("mismatches", mism);
		j_dbl("lat_p50_us", p50);
		j_dbl("lat_p99_us", p99);
		j_close('}');
		return;
	}
	char nodes[16] = "-";

	if (q >= 0)
		snprintf(nodes, sizeof(nodes), "%d", node);
	printf("%5s %-10s %4s %10" PRIu64 " %10.0f %9.2f %7" PRIu64 " %10" PRIu64 " %9.1f %9.1f\n",
	       label, cpus, nodes, ios, iops, mibs, errors, mism, p50, p99);
}

static int parse_queue_list(const char *s, uint64_t mask[4])
{
	char *copy = strdup(s), *tok, *save;
	int ret = 0;

	memset(mask, 0, 4 * sizeof(*mask));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi, i;

		if (dash)
			*dash = 0;
		if (parse_u64(tok, &lo) || (dash && parse_u64(dash + 1, &hi))) {
			ret = -1;
			break;
		}
		if (!dash)
			hi = lo;
		if (lo > hi || hi >= 256) {
			ret = -1;
			break;
		}
		for (i = lo; i <= hi; i++)
			mask[i / 64] |= 1ULL << (i % 64);
	}
	free(copy);
	return ret;
}

static int cmd_perf(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rw", 1, NULL, 'r' }, { "bs", 1, NULL, 'b' },
		{ "depth", 1, NULL, 'd' }, { "time", 1, NULL, 't' },
		{ "ios", 1, NULL, 'n' }, { "queues", 1, NULL, 'q' },
		{ "size", 1, NULL, 's' }, { "verify", 0, NULL, 'V' },
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ "submit", 1, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct perf_opts o = { .rw = RW_RANDREAD, .bs = 4096, .depth = 32, .time = 5 };
	const char *queues = NULL;
	struct qresult *res;
	struct nvmering r;
	pid_t *pids;
	uint64_t v, tot_ios = 0, tot_bytes = 0, tot_err = 0, tot_mism = 0, tot_ver = 0;
	struct lat_hist *tot_lat;
	double max_secs = 0;
	bool tty = isatty(STDOUT_FILENO), time_set = false, any_dead = false;
	bool depth_set = false;
	uint32_t q, idx, lbsz, max_depth;
	int c, ret, failed = 0;
	unsigned int k;

	while ((c = getopt_long(argc, argv, "r:b:d:t:n:q:s:Vo:hS:", lo, NULL)) != -1) {
		switch (c) {
		case 'S':
			for (k = 0; k < 3; k++)
				if (!strcmp(optarg, submit_names[k]))
					break;
			if (k == 3)
				usage_error(usage_perf, "--submit '%s': use ioctl, uring or sqpoll", optarg);
			o.submit = (enum submit_mode)k;
			break;
		case 'r':
			for (k = 0; k < 5; k++)
				if (!strcmp(optarg, rw_names[k]))
					break;
			if (k == 5)
				usage_error(usage_perf, "--rw '%s': use randread, randwrite, read, write or randrw", optarg);
			o.rw = (enum rw_mode)k;
			break;
		case 'b':
			if (parse_size(optarg, &v) || !v || v > (1U << 30))
				usage_error(usage_perf, "--bs '%s' is not a size such as 4k", optarg);
			o.bs = (uint32_t)v;
			break;
		case 'd':
			if (parse_u64(optarg, &v) || !v || v > NVME_RING_IO_MAX_ENTRIES)
				usage_error(usage_perf, "--depth '%s' is not a number from 1 to %u", optarg, NVME_RING_IO_MAX_ENTRIES);
			o.depth = (uint32_t)v;
			depth_set = true;
			break;
		case 't':
			if (parse_double(optarg, &o.time) || o.time <= 0)
				usage_error(usage_perf, "--time '%s' is not a positive number of seconds", optarg);
			time_set = true;
			break;
		case 'n':
			if (parse_u64(optarg, &o.ios) || !o.ios)
				usage_error(usage_perf, "--ios '%s' is not a positive number", optarg);
			break;
		case 'q': queues = optarg; break;
		case 's':
			if (parse_size(optarg, &o.size) || !o.size)
				usage_error(usage_perf, "--size '%s' is not a size such as 16M", optarg);
			break;
		case 'V': o.verify = true; break;
		case 'o': o.json = parse_output(optarg, usage_perf); break;
		case 'h': usage_perf(stdout); return 0;
		default: fprintf(stderr, "Try \'%s %s --help\'.\n", PROG, cur_cmd); return EXIT_USAGE;
		}
	}
	o.name = need_name(argc, argv, optind, usage_perf);
	if (time_set && o.ios)
		usage_error(usage_perf, "--time and --ios exclude each other");
	if (o.verify && !o.size)
		o.size = 16 << 20;
	if (require_module(false))
		return 1;

	ret = nvmering_open(&r, o.name, 0);
	if (ret) {
		if (ret == -ENOENT)
			err_msg("no enabled ring named '%s' (%s/%s is missing): nvme-ring list; nvme-ring create %s --device ...",
				o.name, DEV_ROOT, o.name, o.name);
		else if (ret == -EACCES || ret == -EPERM)
			err_msg("%s/%s: permission denied: run as root or as the ring's owner (nvme-ring create --owner/--mode)",
				DEV_ROOT, o.name);
		else
			err_msg("cannot open ring '%s': %s", o.name, strerror(-ret));
		return 1;
	}
	if (r.info.state != NVME_RING_STATE_LIVE) {
		err_msg("ring '%s' is dead: its NVMe device went away; nvme-ring destroy %s", o.name, o.name);
		nvmering_close(&r);
		return 1;
	}
	o.nq = r.info.nr_queues;
	lbsz = 1U << r.info.lba_shift;
	max_depth = r.info.sq_entries < r.info.cq_entries ? r.info.sq_entries : r.info.cq_entries;
	if (o.bs % lbsz) {
		err_msg("--bs %u is not a multiple of the namespace's %u-byte LBA", o.bs, lbsz);
		nvmering_close(&r);
		return 1;
	}
	if (r.info.max_transfer && o.bs > r.info.max_transfer) {
		err_msg("--bs %u is above the device's largest transfer, %u bytes", o.bs, r.info.max_transfer);
		nvmering_close(&r);
		return 1;
	}
	/* the default depth shrinks to what the ring holds */
	while (!depth_set && o.depth > 1 &&
	       (o.depth > max_depth ||
		nvmering_buf_off(&r, o.depth, o.depth, o.bs) > r.data_size))
		o.depth /= 2;
	if (o.depth > max_depth) {
		err_msg("--depth %u is above the ring's %u SQ/CQ entries: lower --depth or recreate the ring with a larger --depth",
			o.depth, max_depth);
		nvmering_close(&r);
		return 1;
	}
	if (nvmering_buf_off(&r, o.depth, o.depth, o.bs) > r.data_size) {
		err_msg("--depth %u x --bs %u does not fit the %" PRIu64 "-byte data area of a queue: lower them or recreate the ring with a larger --data-size",
			o.depth, o.bs, (uint64_t)r.data_size);
		nvmering_close(&r);
		return 1;
	}
	{
		bool rd = o.rw != RW_WRITE && o.rw != RW_RANDWRITE;
		bool wr = o.rw != RW_READ && o.rw != RW_RANDREAD;

		if ((rd || o.verify) && !opcode_allowed(&r, NVME_OPC_READ)) {
			err_msg("ring '%s' does not allow read commands (opcodes)", o.name);
			nvmering_close(&r);
			return 1;
		}
		if ((wr || (o.verify && rd)) && !opcode_allowed(&r, NVME_OPC_WRITE)) {
			err_msg("ring '%s' does not allow write commands (opcodes)%s", o.name,
				o.verify ? ": --verify writes a pattern first" : "");
			nvmering_close(&r);
			return 1;
		}
	}
	nvmering_close(&r);

	if (queues) {
		if (parse_queue_list(queues, o.qmask))
			usage_error(usage_perf, "--queues '%s' is not a list of queue numbers such as 0,2-3", queues);
	} else {
		for (q = 0; q < o.nq; q++)
			o.qmask[q / 64] |= 1ULL << (q % 64);
	}
	for (q = 0; q < 256; q++) {
		if (!(o.qmask[q / 64] & (1ULL << (q % 64))))
			continue;
		if (q >= o.nq) {
			err_msg("--queues: the ring has queues 0-%u only", o.nq - 1);
			return 1;
		}
		o.run++;
	}
	if (!o.run) {
		err_msg("no queue to run");
		return 1;
	}
	o.seed = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));

	res = mmap(NULL, sizeof(*res) * o.nq, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc(o.nq, sizeof(*pids));
	tot_lat = calloc(1, sizeof(*tot_lat));
	if (res == MAP_FAILED || !pids || !tot_lat) {
		err_msg("out of memory");
		return 1;
	}
	memset(res, 0, sizeof(*res) * o.nq);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fflush(stdout);

	for (q = 0, idx = 0; q < o.nq; q++) {
		if (!(o.qmask[q / 64] & (1ULL << (q % 64))))
			continue;
		pids[q] = fork();
		if (pids[q] < 0) {
			err_msg("fork: %s", strerror(errno));
			stop_flag = 1;
			failed = 1;
			break;
		}
		if (!pids[q])
			_exit(perf_worker(&o, q, idx, &res[q]));
		idx++;
	}

	/* progress once a second on a terminal */
	{
		uint64_t t0 = now_ns(), last_ios = 0, last_t = t0, next = t0 + 1000000000ULL;
		uint32_t alive;

		do {
			int st;

			alive = 0;
			for (q = 0; q < o.nq; q++) {
				if (pids[q] <= 0)
					continue;
				if (waitpid(pids[q], &st, WNOHANG) == pids[q]) {
					pids[q] = 0;
					if (!WIFEXITED(st) || WEXITSTATUS(st)) {
						failed = 1;
						if (!res[q].msg[0])
							snprintf(res[q].msg, sizeof(res[q].msg),
								 "queue %u: client %s", q,
								 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "failed");
						res[q].status = 1;
					}
				} else {
					alive++;
				}
			}
			if (!alive)
				break;
			usleep(50000);
			if (tty && !o.json && now_ns() >= next) {
				uint64_t ios = 0, bytes = 0, errs = 0, t = now_ns();

				for (q = 0; q < o.nq; q++) {
					ios += atomic_load(&res[q].ios);
					bytes += atomic_load(&res[q].bytes);
					errs += atomic_load(&res[q].errors);
				}
				printf("\r[%4.0fs] %10.0f IOPS %9.2f MiB/s total %" PRIu64 " MiB errors %" PRIu64 "   ",
				       (double)(t - t0) / 1e9,
				       (double)(ios - last_ios) / ((double)(t - last_t) / 1e9),
				       (double)bytes / 1048576 / ((double)(t - t0) / 1e9),
				       bytes >> 20, errs);
				fflush(stdout);
				last_ios = ios;
				last_t = t;
				next += 1000000000ULL;
			}
		} while (alive);
		if (tty && !o.json && now_ns() - t0 >= 1000000000ULL)
			printf("\r%*s\r", 78, "");
	}

	if (o.json) {
		j_open(NULL, '{');
		j_str("name", o.name);
		j_str("rw", rw_names[o.rw]);
		j_u64("bs", o.bs);
		j_u64("depth", o.depth);
		j_bool("verify", o.verify);
		j_str("submit", submit_names[o.submit]);
		j_open("queues", '[');
	} else {
		printf("ring %s: %s bs %u depth %u, %u queue(s)%s\n", o.name,
		       rw_names[o.rw], o.bs, o.depth, o.run,
		       o.verify ? ", verified" : "");
		printf("%5s %-10s %4s %10s %10s %9s %7s %10s %9s %9s\n", "QUEUE",
		       "CPUS", "NODE", "IOS", "IOPS", "MiB/s", "ERRORS",
		       "MISMATCH", "p50(us)", "p99(us)");
	}
	for (q = 0; q < o.nq; q++) {
		struct qresult *x = &res[q];
		char label[16];

		if (!(o.qmask[q / 64] & (1ULL << (q % 64))))
			continue;
		snprintf(label, sizeof(label), "%u", q);
		perf_row(o.json, label, q, x->cpus, x->node, x->ios, x->bytes,
			 x->errors, x->mismatches, x->seconds, &x->lat);
		tot_ios += x->ios;
		tot_bytes += x->bytes;
		tot_err += x->errors;
		tot_mism += x->mismatches;
		tot_ver += x->verified_bytes;
		any_dead |= x->dead;
		if (x->seconds > max_secs)
			max_secs = x->seconds;
		lat_hist_merge(tot_lat, &x->lat);
		if (x->status)
			failed = 1;
	}
	if (o.json)
		j_close(']');
	perf_row(o.json, "total", -1, "", -1, tot_ios, tot_bytes, tot_err,
		 tot_mism, max_secs, tot_lat);
	if (o.json) {
		j_u64("verified_bytes", tot_ver);
		j_bool("ring_dead", any_dead);
		j_str("result", failed ? "failed" : "ok");
		j_close('}');
	} else if (o.verify) {
		printf("verify: %" PRIu64 " bytes checked, %" PRIu64 " mismatches\n",
		       tot_ver, tot_mism);
	}
	fflush(stdout);
	if (failed) {
		for (q = 0; q < o.nq; q++)
			if (res[q].msg[0])
				err_msg("%s", res[q].msg);
		if (any_dead && !strcmp(dead_reason(o.name), "its NVMe device went away"))
			hint("the ring is dead: nvme-ring destroy %s, then create it again once the device is back", o.name);
	}
	if (o.verify && !failed && tot_ver == 0 && tot_ios) {
		err_msg("--verify checked no data");
		failed = 1;
	}
	munmap(res, sizeof(*res) * o.nq);
	free(pids);
	free(tot_lat);
	return failed ? 1 : 0;
}

/* ------------------------------------------------------------------ */

static void usage_main(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring COMMAND [options] [NAME]\n"
"\n"
"Administer nvme_ring_io rings (shared-memory NVMe passthrough queues).\n"
"\n"
"Commands:\n"
"  create NAME --device DEV [...]   make and enable a ring\n"
"  destroy NAME                     disable and remove a ring\n"
"  list [-o json]                   list the rings\n"
"  show NAME [-o json]              configuration and queues of a ring\n"
"  stat NAME [-i S] [-c N] [-o json] counters, or rates every S seconds\n"
"  perf NAME [...]                  measure (and verify) I/O through a ring\n"
"  help [COMMAND]                   this text, or a command's\n"
"  version                          the tool's version\n"
"\n"
"'nvme-ring COMMAND --help' describes a command's options.\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);
} cmds[] = {
	{ "create", cmd_create, usage_create },
	{ "destroy", cmd_destroy, usage_destroy },
	{ "list", cmd_list, usage_list },
	{ "show", cmd_show, usage_show },
	{ "stat", cmd_stat, usage_stat },
	{ "perf", cmd_perf, usage_perf },
};

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2)
			for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(argv[2], cmds[i].name)) {
					cmds[i].usage(stdout);
					return 0;
				}
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("nvme-ring %s (nvme_ring_io ABI %d)\n", VERSION,
		       NVME_RING_IO_ABI_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			static char prog[64];

			cur_cmd = cmds[i].name;
			snprintf(prog, sizeof(prog), "%s %s", PROG, cur_cmd);
			argv[1] = prog;	/* getopt's messages name the command */
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: unknown command '%s'; try '%s --help'\n", PROG,
		argv[1], PROG);
	return EXIT_USAGE;
}
