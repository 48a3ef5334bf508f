// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: the module's files. Small sysfs and configfs reads and
 * writes, the kernel's reasons from /dev/kmsg, and snapshots of a ring and
 * its queues (configuration, state and counters) for list, show, stat.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvme-ring.h"

/* Read a small file, strip the trailing newline. Returns length or -errno. */
int read_str(const char *path, char *buf, size_t size)
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

int read_strf(char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return read_str(path, buf, size);
}

/* A sysfs number; 0 when missing. */
uint64_t read_u64f(const char *fmt, ...)
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

int write_str(const char *path, const char *val)
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

bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Fail with advice when the module or configfs is not there. */
int require_module(bool need_configfs)
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

bool ring_configured(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CFS_ROOT "/%s", name);
	return is_dir(path);
}

bool ring_live_sysfs(const char *name)
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
int klog_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

bool kernel_reason(int fd, char *out, size_t size)
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

/* The counters of a ring and of each queue, in sysfs and in the tables */
const char *const counter_names[NR_COUNTERS] = {
	"submitted", "completed", "errors", "invalid_descs", "bytes_read",
	"bytes_written", "inflight", "sq_empty_kicks", "cq_full_events",
	"remote_submits", "reads", "writes", "others", "lat_total_ns",
	"lat_max_ns",
};

/*
 * A queue's counters from its stat line, one snapshot (so submitted =
 * completed + inflight holds, which the single files read one by one
 * cannot give): false from a module without queues/<q>/stat.
 */
static bool read_qstat(const char *name, uint64_t q, uint64_t *c)
{
	char buf[512], *p = buf, *end;
	int k;

	if (read_strf(buf, sizeof(buf), SYS_ROOT "/%s/queues/%" PRIu64 "/stat",
		      name, q) <= 0)
		return false;
	for (k = 0; k < NR_COUNTERS; k++, p = end) {
		errno = 0;
		c[k] = strtoull(p, &end, 10);
		if (end == p || errno)
			return false;
	}
	return true;
}

void snap_free(struct rsnap *s)
{
	free(s->q);
	s->q = NULL;
}

int snap_ring(const char *name, struct rsnap *s, bool queues)
{
	uint64_t i, k, c[NR_COUNTERS], tot[NR_COUNTERS];
	bool lines = false;
	char buf[64];

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
	/* the path's controller; older modules do not say */
	read_strf(s->controller, sizeof(s->controller), SYS_ROOT "/%s/controller", name);
	s->path_changes = read_u64f(SYS_ROOT "/%s/path_changes", name);
	s->nr_queues = read_u64f(SYS_ROOT "/%s/nr_queues", name);
	if (read_strf(buf, sizeof(buf), SYS_ROOT "/%s/numa_node", name) > 0)
		s->node = atoi(buf);
	for (k = 0; k < NR_COUNTERS; k++)
		s->c[k] = read_u64f(SYS_ROOT "/%s/%s", name, counter_names[k]);
	if (!s->nr_queues)
		return 0;
	if (queues) {
		s->q = calloc(s->nr_queues, sizeof(*s->q));
		if (!s->q)
			return -ENOMEM;
	}
	/* the ring's totals from the queues' snapshots, when they have them */
	memset(tot, 0, sizeof(tot));
	for (i = 0; i < s->nr_queues; i++) {
		lines = read_qstat(name, i, c);
		if (!lines)
			break;
		for (k = 0; k < NR_COUNTERS; k++)
			tot[k] = k == C_LAT_MAX ? (c[k] > tot[k] ? c[k] : tot[k])
						: tot[k] + c[k];
		if (queues)
			memcpy(s->q[i].c, c, sizeof(c));
	}
	if (lines)
		memcpy(s->c, tot, sizeof(s->c));
	if (!queues)
		return 0;
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
		for (k = 0; k < NR_COUNTERS && !lines; k++)
			q->c[k] = read_u64f(SYS_ROOT "/%s/queues/%" PRIu64 "/%s",
					    name, i, counter_names[k]);
#undef QF
	}
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return 0;
}

int open_snap(const char *name, struct rsnap *s, bool queues)
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
int ring_names(char ***out)
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

/* Why a ring that is no longer live stopped. */
const char *dead_reason(const char *name)
{
	const char *base = strrchr(name, '/');
	char st[16];

	/* sysfs says "disabled" from the start of a teardown, then goes */
	if (read_strf(st, sizeof(st), SYS_ROOT "/%s/state", base ? base + 1 : name) <= 0 ||
	    strcmp(st, "dead"))
		return "the ring was disabled or destroyed";
	return "its NVMe device went away";
}
