// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring perf: one client, the process that drives one queue. It opens
 * the queue, pins itself to the queue's CPUs, and runs the phases of the
 * workload over its slice of the ring's LBA window, reporting into its
 * struct qresult (shared memory: the parent reads it live and at the end).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nvme-ring.h"
#include "perf.h"
#include "clock.h"
#include "nvme-cmd.h"
#include "blocks.h"
#include "pattern.h"
#include "rng.h"

struct worker {
	struct nvmering r;
	const struct perf_opts *o;
	struct qresult *res;
	uint32_t q, lbsz, nlb, depth;
	uint64_t first, blocks;	/* slice: first LBA, commands of nlb LBAs */
	struct blocks blk;	/* the namespace's layout, with metadata */
	uint64_t meta_base;	/* separate metadata: one stride per slot */
	uint32_t meta_stride;
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

/* An io_uring SQE, submitting what is queued when the SQ is full. */
static struct io_uring_sqe *uring_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

/* Hand the published SQ to the kernel the chosen way. */
static int perf_submit(struct worker *w)
{
	struct io_uring_sqe *sqe;

	switch (w->o->submit) {
	case SUBMIT_SQPOLL:
		return nvmering_sq_commit(&w->r) < 0 ? -errno : 0;
	case SUBMIT_WAIT:
		/* one call: submit, and sleep until a completion is there */
		return nvmering_submit_and_wait(&w->r,
						nvmering_cq_ready(&w->r) ? 0 : 1);
	case SUBMIT_URING:
		nvmering_sq_publish(&w->r);
		sqe = uring_sqe(w);
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
		sqe = uring_sqe(w);
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

/* Has the ring died under us? */
static bool ring_dead(struct worker *w)
{
	if (nvmering_refresh(&w->r))
		return true;
	return w->r.info.state != NVME_RING_STATE_LIVE;
}

/* SUBMIT or COMPLETE failed with ret: because the ring died, or not. */
static int io_failed(struct worker *w, const char *what, int ret)
{
	if (ring_dead(w)) {
		w->res->dead = 1;
		wfail(w, "queue %u: the ring died: %s", w->q, dead_reason(w->o->name));
	} else {
		wfail(w, "queue %u: %s failed: %s", w->q, what, strerror(-ret));
	}
	return -1;
}

enum phase { PH_FILL, PH_RUN, PH_CHECK };

/* The next command's block in the slice, and whether it writes. */
static uint64_t next_block(struct worker *w, enum phase ph, bool *write)
{
	uint64_t blk;

	switch (ph == PH_RUN ? w->o->rw : (ph == PH_FILL ? RW_WRITE : RW_READ)) {
	case RW_RANDREAD: *write = false; return rng_below(&w->rnd, w->blocks);
	case RW_RANDWRITE: *write = true; return rng_below(&w->rnd, w->blocks);
	case RW_READ: *write = false; return w->seq++ % w->blocks;
	case RW_WRITE: *write = true; return w->seq++ % w->blocks;
	default:
		blk = rng_next(&w->rnd);
		*write = (blk >> 40) % 100 >= w->o->rwmixread;
		return blk % w->blocks;
	}
}

/*
 * The namespace's block layout. Separate metadata goes after the data
 * buffers, one power-of-two stride per slot, so that no slot's crosses a
 * page (or, over 4 KiB, a 2 MiB chunk, which must then be a huge page).
 */
static int meta_setup(struct worker *w)
{
	uint32_t len;
	uint64_t end;

	blocks_init(&w->blk, &w->r, -1);
	len = blocks_meta_len(&w->blk, w->nlb);
	if (!len)
		return 0;
	for (w->meta_stride = 64; w->meta_stride < len; w->meta_stride *= 2)
		;
	end = nvmering_buf_off(&w->r, w->depth, w->depth, w->nlb * w->blk.block);
	w->meta_base = (end + w->meta_stride - 1) & ~(uint64_t)(w->meta_stride - 1);
	if (w->meta_base + (uint64_t)w->depth * w->meta_stride > w->r.data_size) {
		wfail(w, "queue %u: %u slots of %u data and %u metadata bytes do not fit the %" PRIu64 "-byte data area (nvme-ring create --data-size)",
		      w->q, w->depth, w->nlb * w->blk.block, len, w->r.data_size);
		return -1;
	}
	if (w->meta_stride > 4096 && w->r.qinfo.huge_pages < w->r.data_size >> 21) {
		wfail(w, "queue %u: %u bytes of metadata per command need a data area of huge pages (nvme-ring create --hugepages)",
		      w->q, len);
		return -1;
	}
	return 0;
}

/* Prepare and queue one command in a free slot. */
static void issue(struct worker *w, enum phase ph, uint64_t now)
{
	const struct perf_opts *o = w->o;
	uint32_t s = w->free_slots[--w->nfree];
	uint64_t slot = nvmering_slot_off(&w->r, s);
	uint64_t buf = nvmering_buf_off(&w->r, w->depth, s,
					w->nlb * w->blk.block);
	uint64_t meta = w->meta_base + (uint64_t)s * w->meta_stride;
	bool write;
	uint64_t lba = w->first + next_block(w, ph, &write) * w->nlb;

	/* PI tuples must be right even when the data is not checked */
	if (write && (o->verify || w->blk.pi_len))
		blocks_fill(&w->blk, &w->r, nvmering_buf(&w->r, buf),
			    nvmering_buf(&w->r, meta), lba, w->nlb, o->seed);
	nvmering_prep_rw_meta(&w->r, slot, write ? NVMERING_OP_WRITE :
			      NVMERING_OP_READ, buf, meta, lba, w->nlb,
			      w->blk.prinfo);
	nvmering_slot(&w->r, slot)->user_data = lba;
	w->issued_at[s] = now;
	nvmering_sq_push(&w->r, slot);
}

/*
 * Check what a read brought against the pattern: the data, and the
 * metadata and PI tuples of a namespace with metadata. Checking goes on
 * after a bad block, so that each one counts.
 */
static void verify(struct worker *w, uint8_t *p, uint8_t *meta, uint64_t lba)
{
	uint32_t done = 0, k, off;
	const char *why;

	while (done < w->nlb) {
		why = blocks_check(&w->blk, &w->r,
				   p + (size_t)done * w->blk.block,
				   meta + (size_t)done * w->blk.ms, lba + done,
				   w->nlb - done, w->o->seed, &k, &off);
		if (!why) {
			w->res->verified_bytes += (uint64_t)(w->nlb - done) *
						  w->lbsz;
			return;
		}
		w->res->verified_bytes += (uint64_t)k * w->lbsz;
		w->res->mismatches++;
		wfail(w, "queue %u: %s mismatch at LBA %" PRIu64 " byte %u",
		      w->q, why, lba + done + k, off);
		done += k + 1;
	}
}

/* Account one completion and free its slot; -1 when it is not ours. */
static int complete(struct worker *w, enum phase ph,
		    const struct nvme_ring_cqe *c, uint64_t now)
{
	uint32_t s = (uint32_t)(c->slot / NVME_RING_SLOT_SIZE);
	struct nvme_ring_slot *sl;
	bool write;
	uint64_t lba;

	if (c->flags & NVME_RING_CQE_F_BAD_SLOT || s >= w->depth) {
		wfail(w, "queue %u: completion for a slot we never used (0x%llx, err %d)",
		      w->q, (unsigned long long)c->slot, c->err);
		return -1;
	}
	sl = nvmering_slot(&w->r, c->slot);
	write = nvme_sqe(sl->cmd)->opcode == NVME_OPC_WRITE;
	lba = sl->user_data;
	if (ph == PH_RUN)
		lat_stats_add(write ? &w->res->wlat : &w->res->rlat,
			      now - w->issued_at[s]);
	if (c->status || c->err) {
		atomic_fetch_add(&w->res->errors, 1);
		if (c->err && c->status)
			wfail(w, "queue %u: %s of LBA %" PRIu64 " failed: %s, NVMe status 0x%x (%s)",
			      w->q, write ? "write" : "read", lba,
			      strerror(-c->err), c->status,
			      nvmering_status_str(c->status));
		else if (c->err)
			wfail(w, "queue %u: %s of LBA %" PRIu64 " failed: %s%s",
			      w->q, write ? "write" : "read", lba,
			      strerror(-c->err),
			      c->flags & NVME_RING_CQE_F_REJECTED ? " (refused by the ring)" : "");
		else
			wfail(w, "queue %u: %s of LBA %" PRIu64 " failed: NVMe status 0x%x (%s)",
			      w->q, write ? "write" : "read", lba,
			      c->status, nvmering_status_str(c->status));
	} else {
		if (!write && w->o->verify)
			verify(w, nvmering_buf(&w->r, sl->data_off),
			       nvmering_buf(&w->r, w->meta_base +
					    (uint64_t)s * w->meta_stride), lba);
		if (ph == PH_RUN) {
			if (write)
				w->res->writes++;
			else
				w->res->reads++;
		}
	}
	if (ph == PH_RUN) {
		atomic_fetch_add_explicit(&w->res->ios, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->res->bytes, w->nlb * w->lbsz,
					  memory_order_relaxed);
	}
	w->free_slots[w->nfree++] = s;
	return 0;
}

/*
 * One phase: PH_FILL writes the pattern over the slice, PH_RUN runs the
 * workload for the time or count, PH_CHECK reads the slice back.
 * Returns 0, or -1 when the worker must stop.
 */
static int run_phase(struct worker *w, enum phase ph, uint64_t limit_ios,
		     uint64_t end_ns)
{
	const struct perf_opts *o = w->o;
	uint32_t inflight = 0, i;
	uint64_t issued = 0, idle_since = 0;
	bool stop = false;

	w->seq = 0;
	for (;;) {
		uint64_t now = now_ns(), pushed = 0;
		struct nvme_ring_cqe cqes[256];
		uint32_t n;
		int ret;

		if (ph == PH_RUN && (stop_flag || (end_ns && now >= end_ns)))
			stop = true;
		/* a stopped run still checks what it wrote, unless told twice */
		if ((ph == PH_FILL && stop_flag) || stop_flag > 1)
			stop = true;
		if (!stop && limit_ios && issued >= limit_ios)
			stop = true;
		while (!stop && w->nfree && nvmering_sq_space(&w->r) &&
		       (!limit_ios || issued < limit_ios)) {
			issue(w, ph, now);
			issued++;
			inflight++;
			pushed++;
		}
		if (pushed || (inflight && nvmering_sq_space(&w->r) <= w->r.sq_mask)) {
			ret = perf_submit(w);
			if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
				return io_failed(w, "SUBMIT", ret);
		}
		if (!inflight) {
			if (stop || (limit_ios && issued >= limit_ios))
				return 0;
			continue;
		}
		n = nvmering_peek_cqes(&w->r, cqes, 256);
		if (!n) {
			ret = perf_wait(w, 1000);
			if (ret && ret != -ETIME && ret != -EINTR)
				return io_failed(w, "COMPLETE", ret);
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
		for (i = 0; i < n; i++, inflight--)
			if (complete(w, ph, &cqes[i], now))
				return -1;
		nvmering_cq_advance(&w->r, n);
	}
}

static double tv_secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int perf_worker(const struct perf_opts *o, uint32_t q, uint32_t idx,
		       struct qresult *res)
{
	struct worker w = { .o = o, .res = res, .q = q };
	struct rusage ru0, ru1;
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
	if (meta_setup(&w))
		goto out;
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
		if (run_phase(&w, PH_FILL, w.blocks, 0) || stop_flag)
			goto out;
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_ns();
	ret = run_phase(&w, PH_RUN, limit, o->ios ? 0 : t0 + (uint64_t)(o->time * 1e9));
	res->seconds = (double)(now_ns() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru1);
	res->usr_secs = tv_secs(&ru1.ru_utime) - tv_secs(&ru0.ru_utime);
	res->sys_secs = tv_secs(&ru1.ru_stime) - tv_secs(&ru0.ru_stime);
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
