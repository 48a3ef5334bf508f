/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-ring: what the tool's files share. Each command is a cmd_NAME()
 * with its usage_NAME(); see nvme-ring.c for the table.
 */
#ifndef NVME_RING_H
#define NVME_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "nvmering.h"
#include "nvmering-uring.h"

#define PROG		"nvme-ring"
#define VERSION		"1.0"
#define MODULE_NAME	"nvme_ring_io"
#define CFS_ROOT	"/sys/kernel/config/nvme_ring_io"
#define SYS_ROOT	"/sys/class/nvme_ring_io"
#define DEV_ROOT	"/dev/" NVME_RING_IO_DEV_DIR

/* Exit codes: 0 ok, 1 operation failed, 2 usage error. */
#define EXIT_USAGE	2

#define PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* nvme-ring.c: messages, prefixed with "nvme-ring COMMAND: " */
extern const char *cur_cmd;
void err_msg(const char *fmt, ...) PRINTF(1, 2);
void hint(const char *fmt, ...) PRINTF(1, 2);

/* The commands (admin.c, perf.c) */
int cmd_create(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_perf(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_clear(int argc, char **argv);
void usage_create(FILE *f);
void usage_destroy(FILE *f);
void usage_list(FILE *f);
void usage_show(FILE *f);
void usage_stat(FILE *f);
void usage_perf(FILE *f);
void usage_save(FILE *f);
void usage_restore(FILE *f);
void usage_clear(FILE *f);

/* parse.c */
int parse_size(const char *s, uint64_t *out);
int parse_u64(const char *s, uint64_t *out);
int parse_double(const char *s, double *out);
bool cpulist_syntax_ok(const char *s);
int parse_queue_list(const char *s, uint64_t mask[4]);
bool valid_name(const char *name);
void usage_error(void (*usage)(FILE *), const char *fmt, ...)
	PRINTF(2, 3) __attribute__((noreturn));
void try_help(void) __attribute__((noreturn));
bool parse_output(const char *s, void (*usage)(FILE *));
int simple_opts(int argc, char **argv, void (*usage)(FILE *), bool *json);
const char *need_name(int argc, char **argv, int ind, void (*usage)(FILE *));

/* output.c: JSON, one value per line in a fixed key order */
void j_output(FILE *f);
void j_open(const char *key, char brace);
void j_close(char brace);
void j_str(const char *key, const char *val);
void j_u64(const char *key, uint64_t v);
void j_i64(const char *key, int64_t v);
void j_dbl(const char *key, double v);
void j_bool(const char *key, bool v);
void human(uint64_t v, char *buf, size_t size);

/* sysfs.c: the module's files */
int read_str(const char *path, char *buf, size_t size);
int read_strf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);
uint64_t read_u64f(const char *fmt, ...) PRINTF(1, 2);
int write_str(const char *path, const char *val);
bool is_dir(const char *path);
int require_module(bool need_configfs);
bool ring_configured(const char *name);
bool ring_live_sysfs(const char *name);
int klog_mark(void);
bool kernel_reason(int fd, char *out, size_t size);
const char *dead_reason(const char *name);

/* Ring and queue snapshots from sysfs (sysfs.c) */
extern const char *const counter_names[];
#define NR_COUNTERS	15
enum { C_SUB, C_COMP, C_ERR, C_INVAL, C_BREAD, C_BWRITE, C_INFL, C_KICKS,
       C_CQFULL, C_REMOTE, C_READS, C_WRITES, C_OTHERS, C_LAT_TOTAL,
       C_LAT_MAX };

struct qsnap {
	char cpus[128], hctx[64], nvme_qid[64];
	int node;
	uint64_t huge_pages, sq_entries, cq_entries, data_size;
	uint64_t c[NR_COUNTERS];
};

struct rsnap {
	char name[64];
	bool configured, enabled;
	char device[256], state[16], controller[32];
	uint64_t nsid, nr_queues, path_changes;
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

int snap_ring(const char *name, struct rsnap *s, bool queues);
void snap_free(struct rsnap *s);
int open_snap(const char *name, struct rsnap *s, bool queues);
int ring_names(char ***out);

#endif /* NVME_RING_H */
