// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring perf: check the ring against the workload, start one client
 * per queue (perf-worker.c), show progress on a terminal, and report per
 * queue and in total.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nvme-ring.h"
#include "units.h"
#include "perf.h"
#include "clock.h"
#include "nvme-cmd.h"

void usage_perf(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring perf NAME [options]\n"
"\n"
"Drive every queue of the ring NAME with one client process per queue,\n"
"pinned to the queue's CPUs with its memory on the ring's node, each keeping\n"
"DEPTH commands in flight in its own slice of the ring's LBA window. Prints\n"
"per-queue and total IOPS, MiB/s, errors and latency percentiles (p50/p99),\n"
"then for reads and writes apart IOPS, bandwidth, latency min/max/mean/stdev\n"
"and percentiles from 1 to 99.99 (latency is measured per batch), and the\n"
"clients' user and system CPU per I/O. Exits non-zero when a command\n"
"fails, data does not verify, or the ring dies. SIGINT or SIGTERM ends the\n"
"run early; the check after it still runs, unless a second signal comes.\n"
"\n"
"Options:\n"
"  -r, --rw MODE             randread (default), randwrite, read, write, randrw\n"
"  -M, --rwmixread PCT       randrw: percent of reads (default 50)\n"
"  -b, --bs SIZE             bytes per command, a multiple of the LBA size (default 4k)\n"
"  -d, --depth N             commands in flight per queue (default 32, or\n"
"                            less when the ring's queues hold fewer)\n"
"  -t, --time T              run T: seconds, or with a suffix us, ms, s, m, h\n"
"                            (default 5)\n"
"  -n, --ios N               run N commands in all instead, split across queues\n"
"  -q, --queues LIST         only these queues, e.g. 0,2 (default: all)\n"
"  -s, --size SIZE           bytes of each queue's slice to use (default: all\n"
"                            of it; 16M with --verify)\n"
"  -V, --verify              write a pattern first, check every byte read, and\n"
"                            after a write workload read it all back\n"
"  -S, --submit HOW          wait (default): one SUBMIT that also waits for a\n"
"                            completion, one system call per batch; ioctl:\n"
"                            SUBMIT and COMPLETE ioctls;\n"
"                            uring: URING_KICK and URING_WAIT_CQ through an\n"
"                            io_uring; sqpoll: publish only, the ring's SQ\n"
"                            poller consumes (needs a ring made with --sq-poll)\n"
"  -o, --output-format FMT   normal (default) or json\n"
"  -h, --help                this text\n"
"\n"
"Writes destroy data in the ring's LBA window.\n");
}

static const char *const rw_names[] = {
	"randread", "randwrite", "read", "write", "randrw",
};
static const char *const submit_names[] = {
	"ioctl", "uring", "sqpoll", "wait",
};

volatile sig_atomic_t stop_flag;

/* The first signal ends the run, the second the check after it too. */
static void on_signal(int sig)
{
	(void)sig;
	if (stop_flag < 2)
		stop_flag++;
}

/* --OPT s, one of names[n]: its index; else "use A, B or C" and exit. */
static int choice(const char *opt, const char *s, const char *const *names,
		  int n)
{
	char list[128] = "";
	size_t len = 0;
	int k;

	for (k = 0; k < n; k++) {
		if (!strcmp(s, names[k]))
			return k;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					!k ? "" : k < n - 1 ? ", " : " or ", names[k]);
	}
	usage_error(usage_perf, "%s '%s': use %s", opt, s, list);
}

static void perf_options(int argc, char **argv, struct perf_opts *o,
			 const char **queues)
{
	static const struct option lo[] = {
		{ "rw", 1, NULL, 'r' }, { "bs", 1, NULL, 'b' },
		{ "depth", 1, NULL, 'd' }, { "time", 1, NULL, 't' },
		{ "ios", 1, NULL, 'n' }, { "queues", 1, NULL, 'q' },
		{ "size", 1, NULL, 's' }, { "verify", 0, NULL, 'V' },
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ "submit", 1, NULL, 'S' }, { "rwmixread", 1, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	bool time_set = false, depth_set = false, mix_set = false;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "r:b:d:t:n:q:s:Vo:hS:M:", lo, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (parse_u64(optarg, &v) || v > 100)
				usage_error(usage_perf, "--rwmixread '%s' is not a percentage from 0 to 100", optarg);
			o->rwmixread = (uint32_t)v;
			mix_set = true;
			break;
		case 'S':
			o->submit = (enum submit_mode)choice("--submit", optarg, submit_names, 4);
			break;
		case 'r':
			o->rw = (enum rw_mode)choice("--rw", optarg, rw_names, 5);
			break;
		case 'b':
			if (parse_size(optarg, &v) || !v || v > (1U << 30))
				usage_error(usage_perf, "--bs '%s' is not a size such as 4k", optarg);
			o->bs = (uint32_t)v;
			break;
		case 'd':
			if (parse_u64(optarg, &v) || !v || v > NVME_RING_IO_MAX_ENTRIES)
				usage_error(usage_perf, "--depth '%s' is not a number from 1 to %u", optarg, NVME_RING_IO_MAX_ENTRIES);
			o->depth = (uint32_t)v;
			depth_set = true;
			break;
		case 't':
			if (parse_seconds(optarg, &o->time))
				usage_error(usage_perf, "--time '%s' is not a positive duration such as 10, 10s, 500ms or 1m", optarg);
			time_set = true;
			break;
		case 'n':
			if (parse_u64(optarg, &o->ios) || !o->ios)
				usage_error(usage_perf, "--ios '%s' is not a positive number", optarg);
			break;
		case 'q': *queues = optarg; break;
		case 's':
			if (parse_size(optarg, &o->size) || !o->size)
				usage_error(usage_perf, "--size '%s' is not a size such as 16M", optarg);
			break;
		case 'V': o->verify = true; break;
		case 'o': o->json = parse_output(optarg, usage_perf); break;
		case 'h': usage_perf(stdout); exit(0);
		default: try_help();
		}
	}
	o->name = need_name(argc, argv, optind, usage_perf);
	if (time_set && o->ios)
		usage_error(usage_perf, "--time and --ios exclude each other");
	if (mix_set && o->rw != RW_RANDRW)
		usage_error(usage_perf, "--rwmixread needs --rw randrw");
	if (o->verify && !o->size)
		o->size = 16 << 20;
	/* 0: the default, which shrinks to what the ring holds */
	if (!depth_set)
		o->depth = 0;
}

static bool opcode_allowed(const struct nvmering *r, uint8_t opc)
{
	return r->info.opcodes[opc / 8] & (1U << (opc % 8));
}

/*
 * Does the workload fit the ring? Takes the ring's queue count and, for
 * the default depth, the depth that fits. Errors are reported.
 */
static int check_ring(const struct nvmering *r, struct perf_opts *o)
{
	uint32_t lbsz = 1U << r->info.lba_shift, max_depth;
	bool rd = o->rw != RW_WRITE && o->rw != RW_RANDWRITE;
	bool wr = o->rw != RW_READ && o->rw != RW_RANDREAD;

	if (r->info.state != NVME_RING_STATE_LIVE) {
		err_msg("ring '%s' is dead: its NVMe device went away; nvme-ring destroy %s", o->name, o->name);
		return -1;
	}
	o->nq = r->info.nr_queues;
	max_depth = r->info.sq_entries < r->info.cq_entries ? r->info.sq_entries : r->info.cq_entries;
	if (o->bs % lbsz) {
		err_msg("--bs %u is not a multiple of the namespace's %u-byte LBA", o->bs, lbsz);
		return -1;
	}
	if (r->info.max_transfer && o->bs > r->info.max_transfer) {
		err_msg("--bs %u is above the device's largest transfer, %u bytes", o->bs, r->info.max_transfer);
		return -1;
	}
	if (!o->depth) {
		o->depth = 32;
		while (o->depth > 1 &&
		       (o->depth > max_depth ||
			nvmering_buf_off(r, o->depth, o->depth, o->bs) > r->data_size))
			o->depth /= 2;
	}
	if (o->depth > max_depth) {
		err_msg("--depth %u is above the ring's %u SQ/CQ entries: lower --depth or recreate the ring with a larger --depth",
			o->depth, max_depth);
		return -1;
	}
	if (nvmering_buf_off(r, o->depth, o->depth, o->bs) > r->data_size) {
		err_msg("--depth %u x --bs %u does not fit the %" PRIu64 "-byte data area of a queue: lower them or recreate the ring with a larger --data-size",
			o->depth, o->bs, (uint64_t)r->data_size);
		return -1;
	}
	if ((rd || o->verify) && !opcode_allowed(r, NVME_OPC_READ)) {
		err_msg("ring '%s' does not allow read commands (opcodes)", o->name);
		return -1;
	}
	if ((wr || (o->verify && rd)) && !opcode_allowed(r, NVME_OPC_WRITE)) {
		err_msg("ring '%s' does not allow write commands (opcodes)%s", o->name,
			o->verify ? ": --verify writes a pattern first" : "");
		return -1;
	}
	return 0;
}

/* Open the ring once to check the workload against it. */
static int open_ring(struct perf_opts *o)
{
	struct nvmering r;
	int ret;

	ret = nvmering_open(&r, o->name, 0);
	if (ret) {
		if (ret == -ENOENT)
			err_msg("no enabled ring named '%s' (%s/%s is missing): nvme-ring list; nvme-ring create %s --device ...",
				o->name, DEV_ROOT, o->name, o->name);
		else if (ret == -EACCES || ret == -EPERM)
			err_msg("%s/%s: permission denied: run as root or as the ring's owner (nvme-ring create --owner/--mode)",
				DEV_ROOT, o->name);
		else
			err_msg("cannot open ring '%s': %s", o->name, strerror(-ret));
		return -1;
	}
	ret = check_ring(&r, o);
	nvmering_close(&r);
	return ret;
}

/* The queues to run: all, or --queues. */
static int pick_queues(struct perf_opts *o, const char *queues)
{
	uint32_t q;

	if (queues) {
		if (parse_queue_list(queues, o->qmask))
			usage_error(usage_perf, "--queues '%s' is not a list of queue numbers such as 0,2-3", queues);
	} else {
		for (q = 0; q < o->nq; q++)
			o->qmask[q / 64] |= 1ULL << (q % 64);
	}
	for (q = 0; q < 256; q++) {
		if (!perf_runs(o, q))
			continue;
		if (q >= o->nq) {
			err_msg("--queues: the ring has queues 0-%u only", o->nq - 1);
			return -1;
		}
		o->run++;
	}
	if (!o->run) {
		err_msg("no queue to run");
		return -1;
	}
	return 0;
}

/* Reap the clients that ended; how many still run. */
static uint32_t reap_clients(const struct perf_opts *o, pid_t *pids,
			     struct qresult *res, int *failed)
{
	uint32_t q, alive = 0;
	int st;

	for (q = 0; q < o->nq; q++) {
		if (pids[q] <= 0)
			continue;
		if (waitpid(pids[q], &st, WNOHANG) != pids[q]) {
			alive++;
			continue;
		}
		pids[q] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			*failed = 1;
			if (!res[q].msg[0])
				snprintf(res[q].msg, sizeof(res[q].msg),
					 "queue %u: client %s", q,
					 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "failed");
			res[q].status = 1;
		}
	}
	return alive;
}

/* Start a client per queue, wait for them all; progress on a terminal. */
static int run_clients(const struct perf_opts *o, struct qresult *res,
		       pid_t *pids)
{
	bool tty = isatty(STDOUT_FILENO) && !o->json;
	uint64_t t0, last_ios = 0, last_t, next;
	pid_t parent = getpid();
	uint32_t q, idx;
	sig_atomic_t forwarded = 0;
	int failed = 0;

	for (q = 0, idx = 0; q < o->nq; q++) {
		if (!perf_runs(o, q))
			continue;
		pids[q] = fork();
		if (pids[q] < 0) {
			err_msg("fork: %s", strerror(errno));
			stop_flag = 1;
			failed = 1;
			break;
		}
		if (!pids[q]) {
			/*
			 * A queue has one user at a time: a client must not
			 * outlive the perf run that started it (killed with
			 * kill -9, it could not stop its clients).
			 */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) ||
			    getppid() != parent)
				_exit(1);
			_exit(perf_worker(o, q, idx, &res[q]));
		}
		idx++;
	}

	t0 = last_t = now_ns();
	next = t0 + 1000000000ULL;
	while (reap_clients(o, pids, res, &failed)) {
		uint64_t ios = 0, bytes = 0, errs = 0, t;

		usleep(50000);
		/*
		 * SIGINT or SIGTERM sent to perf alone (kill, systemd,
		 * timeout(1)), not to its process group: the clients are told
		 * too, so they stop, verify what they wrote and report.
		 */
		while (forwarded < stop_flag) {
			for (q = 0; q < o->nq; q++)
				if (pids[q] > 0)
					kill(pids[q], SIGTERM);
			forwarded++;
		}
		if (!tty || now_ns() < next)
			continue;
		t = now_ns();
		for (q = 0; q < o->nq; q++) {
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
	if (tty && now_ns() - t0 >= 1000000000ULL)
		printf("\r%*s\r", 78, "");
	return failed;
}

static void perf_row(bool json, const char *label, int64_t q, const char *cpus,
		     int node, uint64_t ios, uint64_t bytes, uint64_t errors,
		     uint64_t mism, double secs, const struct lat_stats *lat)
{
	double iops = secs > 0 ? (double)ios / secs : 0;
	double mibs = secs > 0 ? (double)bytes / secs / 1048576 : 0;
	double p50 = lat_hist_pct(&lat->h, 50) / 1000;
	double p99 = lat_hist_pct(&lat->h, 99) / 1000;

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

/*
 * One direction of the whole run, as fio shows it: IOPS, bandwidth, the
 * latency's min/max/mean/stdev and percentiles. In JSON, fio's keys
 * (a "read" or "write" object; lat_ns with its percentiles).
 */
/* A percentile from the histogram, kept within the exact min and max */
static double pct_ns(const struct lat_stats *l, double pct)
{
	double v = lat_hist_pct(&l->h, pct);

	if (v < (double)l->min)
		return (double)l->min;
	return v > (double)l->max ? (double)l->max : v;
}

static void dir_report(bool json, const char *dir, uint64_t ios,
		       uint64_t bytes, double secs, const struct lat_stats *l)
{
	double iops = secs > 0 ? (double)ios / secs : 0;
	double bw = secs > 0 ? (double)bytes / secs : 0;
	char key[16];
	unsigned int i;

	if (json) {
		j_open(dir, '{');
		j_u64("total_ios", ios);
		j_u64("io_bytes", bytes);
		j_dbl("bw_bytes", bw);
		j_dbl("iops", iops);
		j_u64("runtime", (uint64_t)(secs * 1000));
		j_open("lat_ns", '{');
		j_u64("min", l->min);
		j_u64("max", l->max);
		j_dbl("mean", lat_stats_mean(l));
		j_dbl("stddev", lat_stats_stdev(l));
		j_u64("N", l->n);
		j_open("percentile", '{');
		for (i = 0; i < LAT_PCTS_NR; i++) {
			snprintf(key, sizeof(key), "%f", lat_pcts[i]);
			j_u64(key, (uint64_t)pct_ns(l, lat_pcts[i]));
		}
		j_close('}');
		j_close('}');
		j_close('}');
		return;
	}
	if (!ios)
		return;
	printf("%s: IOPS=%.0f, BW=%.2f MiB/s (%.0f kB/s), %" PRIu64 " I/Os in %.2f s\n",
	       dir, iops, bw / 1048576, bw / 1000, ios, secs);
	printf("  lat (usec): min=%.1f, max=%.1f, avg=%.1f, stdev=%.1f\n",
	       (double)l->min / 1000, (double)l->max / 1000,
	       lat_stats_mean(l) / 1000, lat_stats_stdev(l) / 1000);
	printf("  lat percentiles (usec):\n");
	for (i = 0; i < LAT_PCTS_NR; i++)
		printf("%s%5.2fth=[%8.1f]%s", i % 4 ? " " : "     | ",
		       lat_pcts[i], pct_ns(l, lat_pcts[i]) / 1000,
		       i == LAT_PCTS_NR - 1 ? "\n" : i % 4 == 3 ? ",\n" : ",");
}

/* The whole run's totals, summed over the queues */
struct perf_totals {
	uint64_t ios, bytes, errors, mism, verified, reads, writes;
	double secs, usr, sys;
	bool dead;
	struct lat_stats rlat, wlat, lat;
};

/* The table or JSON object of the results; whether the run failed. */
static int report(const struct perf_opts *o, const struct qresult *res,
		  int failed)
{
	struct perf_totals *t = calloc(1, sizeof(*t));
	struct lat_stats *ql = malloc(sizeof(*ql));
	double cpu_io;
	uint32_t q;

	if (!t || !ql) {
		free(t);
		free(ql);
		err_msg("out of memory");
		return 1;
	}
	if (o->json) {
		j_open(NULL, '{');
		j_str("name", o->name);
		j_str("rw", rw_names[o->rw]);
		if (o->rw == RW_RANDRW)
			j_u64("rwmixread", o->rwmixread);
		j_u64("bs", o->bs);
		j_u64("depth", o->depth);
		j_bool("verify", o->verify);
		j_str("submit", submit_names[o->submit]);
		j_open("queues", '[');
	} else {
		printf("ring %s: %s", o->name, rw_names[o->rw]);
		if (o->rw == RW_RANDRW)
			printf(" (%u%% reads)", o->rwmixread);
		printf(" bs %u depth %u, %u queue(s)%s\n", o->bs, o->depth,
		       o->run, o->verify ? ", verified" : "");
		printf("%5s %-10s %4s %10s %10s %9s %7s %10s %9s %9s\n", "QUEUE",
		       "CPUS", "NODE", "IOS", "IOPS", "MiB/s", "ERRORS",
		       "MISMATCH", "p50(us)", "p99(us)");
	}
	for (q = 0; q < o->nq; q++) {
		const struct qresult *x = &res[q];
		char label[16];

		if (!perf_runs(o, q))
			continue;
		snprintf(label, sizeof(label), "%u", q);
		*ql = x->rlat;
		lat_stats_merge(ql, &x->wlat);
		perf_row(o->json, label, q, x->cpus, x->node, x->ios, x->bytes,
			 x->errors, x->mismatches, x->seconds, ql);
		t->ios += x->ios;
		t->bytes += x->bytes;
		t->errors += x->errors;
		t->mism += x->mismatches;
		t->verified += x->verified_bytes;
		t->reads += x->reads;
		t->writes += x->writes;
		t->usr += x->usr_secs;
		t->sys += x->sys_secs;
		t->dead |= x->dead;
		if (x->seconds > t->secs)
			t->secs = x->seconds;
		lat_stats_merge(&t->rlat, &x->rlat);
		lat_stats_merge(&t->wlat, &x->wlat);
		lat_stats_merge(&t->lat, ql);
		if (x->status)
			failed = 1;
	}
	if (o->json)
		j_close(']');
	perf_row(o->json, "total", -1, "", -1, t->ios, t->bytes, t->errors,
		 t->mism, t->secs, &t->lat);
	if (!o->json)
		printf("\n");
	dir_report(o->json, "read", t->reads, t->reads * o->bs, t->secs, &t->rlat);
	dir_report(o->json, "write", t->writes, t->writes * o->bs, t->secs, &t->wlat);
	/* the clients' own CPU while they ran, like fio's usr/sys */
	cpu_io = t->ios ? 1e6 / (double)t->ios : 0;
	if (o->json) {
		j_dbl("usr_cpu", t->secs > 0 ? t->usr / t->secs * 100 : 0);
		j_dbl("sys_cpu", t->secs > 0 ? t->sys / t->secs * 100 : 0);
		j_dbl("usr_us_per_io", t->usr * cpu_io);
		j_dbl("sys_us_per_io", t->sys * cpu_io);
		j_u64("verified_bytes", t->verified);
		j_bool("ring_dead", t->dead);
		j_str("result", failed ? "failed" : "ok");
		j_close('}');
	} else {
		printf("cpu (clients, while running): usr=%.2f us/IO, sys=%.2f us/IO (usr=%.1f%%, sys=%.1f%% of one CPU)\n",
		       t->usr * cpu_io, t->sys * cpu_io,
		       t->secs > 0 ? t->usr / t->secs * 100 : 0,
		       t->secs > 0 ? t->sys / t->secs * 100 : 0);
		if (o->verify)
			printf("verify: %" PRIu64 " bytes checked, %" PRIu64 " mismatches\n",
			       t->verified, t->mism);
	}
	fflush(stdout);
	if (failed) {
		for (q = 0; q < o->nq; q++)
			if (res[q].msg[0])
				err_msg("%s", res[q].msg);
		if (t->dead && !strcmp(dead_reason(o->name), "its NVMe device went away"))
			hint("the ring is dead: nvme-ring destroy %s, then create it again once the device is back", o->name);
	}
	if (o->verify && !failed && t->verified == 0 && t->ios) {
		err_msg("--verify checked no data");
		failed = 1;
	}
	free(t);
	free(ql);
	return failed;
}

int cmd_perf(int argc, char **argv)
{
	struct perf_opts o = { .rw = RW_RANDREAD, .bs = 4096, .time = 5,
			       .submit = SUBMIT_WAIT, .rwmixread = 50 };
	const char *queues = NULL;
	struct qresult *res;
	pid_t *pids;
	int failed;

	perf_options(argc, argv, &o, &queues);
	if (require_module(false) || open_ring(&o) || pick_queues(&o, queues))
		return 1;
	o.seed = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));

	res = mmap(NULL, sizeof(*res) * o.nq, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc(o.nq, sizeof(*pids));
	if (res == MAP_FAILED || !pids) {
		err_msg("out of memory");
		return 1;
	}
	memset(res, 0, sizeof(*res) * o.nq);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fflush(stdout);

	failed = run_clients(&o, res, pids);
	failed = report(&o, res, failed);
	munmap(res, sizeof(*res) * o.nq);
	free(pids);
	return failed ? 1 : 0;
}
