/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-ring perf: what the command (perf.c) and its clients, one process
 * per queue (perf-worker.c), share.
 */
#ifndef NVME_RING_PERF_H
#define NVME_RING_PERF_H

#include <signal.h>
#include <stdatomic.h>

#include "lat-hist.h"

enum rw_mode { RW_RANDREAD, RW_RANDWRITE, RW_READ, RW_WRITE, RW_RANDRW };

/*
 * How a client hands its SQ to the kernel and waits for completions: wait
 * (one SUBMIT that also waits, nvmering_submit_and_wait()), ioctl (SUBMIT
 * and COMPLETE), uring (URING_KICK and URING_WAIT_CQ through an io_uring)
 * or sqpoll (publish only; the ring's SQ poller consumes, and is kicked
 * only when it sleeps).
 */
enum submit_mode { SUBMIT_IOCTL, SUBMIT_URING, SUBMIT_SQPOLL, SUBMIT_WAIT };

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
	uint32_t rwmixread;	/* randrw: percent of reads */
};

static inline bool perf_runs(const struct perf_opts *o, uint32_t q)
{
	return o->qmask[q / 64] & (1ULL << (q % 64));
}

/* One queue's results, shared with the parent. */
struct qresult {
	_Atomic uint64_t ios, bytes, errors;	/* live, for the progress line */
	uint64_t reads, writes, mismatches, verified_bytes;
	double seconds;
	double usr_secs, sys_secs;	/* the client's CPU during the run */
	int status;		/* 0 ok, 1 failed */
	int dead;		/* the ring died */
	int started;
	char cpus[64];
	int node;
	char msg[256];		/* the first failure */
	struct lat_stats rlat, wlat;	/* per batch: the clock is read once */
};

/* Set by SIGINT and SIGTERM: the clients finish what is in flight. */
extern volatile sig_atomic_t stop_flag;

/* Client of queue q, the idx-th that runs; its exit status. */
int perf_worker(const struct perf_opts *o, uint32_t q, uint32_t idx,
		struct qresult *res);

#endif /* NVME_RING_PERF_H */
