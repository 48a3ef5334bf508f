// SPDX-License-Identifier: GPL-2.0
/*
 * nvmering: a fio ioengine for nvme_ring_io rings, loaded as an external
 * engine (ioengine=external:/path/to/nvmering-fio.so). Each job drives one
 * queue of a named ring: its I/O buffers are the queue's data area (fio's
 * buffers are carved from it, so the device moves data straight into
 * them), its commands go through the queue's SQ and come back in its CQ.
 *
 * The job's file is the ring: filename=/dev/nvme_ring/NAME, whose size is
 * the ring's LBA window; offset 0 is the window's first LBA. Options:
 *
 *   ring=NAME       the ring (default: the filename's last component)
 *   ring_queue=Q    the queue (default -1: the one serving the job's CPU)
 *   ring_submit=HOW wait (default): commit publishes the SQ and the next
 *                   getevents submits and waits in one call
 *                   (nvmering_submit_and_wait); ioctl: SUBMIT at commit,
 *                   COMPLETE when waiting; sqpoll: publish only (the
 *                   ring's SQ poller consumes; a kick when it sleeps)
 *   ring_pin=0|1    pin the job to the queue's CPUs (default 1) unless the
 *                   job sets its own cpus_allowed
 *
 * Reads, writes and flushes (fsync=); trims are refused. Built against the
 * fio source it is loaded by: fio checks FIO_IOOPS_VERSION.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fio.h"
#include "optgroup.h"

#include "nvmering.h"

enum { SUBMIT_WAIT, SUBMIT_IOCTL, SUBMIT_SQPOLL };

struct nri_fio_options {
	void *pad;		/* an option at offset 0 reads as unset */
	char *ring;
	int queue;
	unsigned int submit;
	unsigned int pin;
};

struct nri_fio_data {
	struct nvmering r;
	struct io_u **io_us;	/* by slot */
	struct io_u **events;
	struct nvme_ring_cqe *cqes;
	uint32_t nslots;
	uint64_t buf_base;	/* data-area offset of fio's buffers */
	bool pending;		/* published, not yet submitted (wait) */
	bool status_logged;
};

static struct fio_option options[] = {
	{
		.name	= "ring",
		.lname	= "nvme_ring_io ring",
		.type	= FIO_OPT_STR_STORE,
		.off1	= offsetof(struct nri_fio_options, ring),
		.help	= "Name of the nvme_ring_io ring (default: from filename)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "ring_queue",
		.lname	= "nvme_ring_io queue",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct nri_fio_options, queue),
		.def	= "-1",
		.help	= "Queue of the ring (-1: the one serving the job's CPU)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "ring_submit",
		.lname	= "nvme_ring_io submission",
		.type	= FIO_OPT_STR,
		.off1	= offsetof(struct nri_fio_options, submit),
		.def	= "wait",
		.help	= "How commands are submitted and waited for",
		.posval = {
			{ .ival = "wait", .oval = SUBMIT_WAIT,
			  .help = "one SUBMIT that also waits (one call per batch)" },
			{ .ival = "ioctl", .oval = SUBMIT_IOCTL,
			  .help = "SUBMIT at commit, COMPLETE to wait" },
			{ .ival = "sqpoll", .oval = SUBMIT_SQPOLL,
			  .help = "publish only: the ring's SQ poller consumes" },
		},
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "ring_pin",
		.lname	= "nvme_ring_io pin",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct nri_fio_options, pin),
		.def	= "1",
		.help	= "Pin the job to the queue's CPUs",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= NULL,
	},
};

static const char *nri_ring_name(struct thread_data *td)
{
	struct nri_fio_options *o = td->eo;
	const char *name;

	if (o->ring && *o->ring)
		return o->ring;
	if (!td->files_index)
		return NULL;
	name = strrchr(td->files[0]->file_name, '/');
	return name ? name + 1 : td->files[0]->file_name;
}

static void nri_fio_free(struct nri_fio_data *d)
{
	free(d->io_us);
	free(d->events);
	free(d->cqes);
	free(d);
}

static int nri_fio_init(struct thread_data *td)
{
	struct nri_fio_options *o = td->eo;
	const char *name = nri_ring_name(td);
	struct nri_fio_data *d;
	uint32_t depth = td->o.iodepth;
	int ret;

	if (!name) {
		log_err("nvmering: no ring: set ring=NAME or filename=/dev/nvme_ring/NAME\n");
		return 1;
	}
	if (td->o.nr_files > 1) {
		log_err("nvmering: one ring per job (nrfiles=%u)\n", td->o.nr_files);
		return 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return 1;
	ret = nvmering_open(&d->r, name, o->queue);
	if (ret) {
		log_err("nvmering: ring %s queue %d: %s\n", name, o->queue,
			strerror(-ret));
		free(d);
		return 1;
	}
	if (o->pin && !fio_option_is_set(&td->o, cpumask)) {
		ret = nvmering_pin(&d->r);
		if (ret)
			log_info("nvmering: %s: cannot pin to queue %u's CPUs: %s\n",
				 name, d->r.queue, strerror(-ret));
	}
	if (o->submit == SUBMIT_SQPOLL && !nvmering_sq_polled(&d->r)) {
		log_err("nvmering: ring_submit=sqpoll needs a ring with an SQ poller (sq_poll=1)\n");
		goto fail;
	}
	if (depth > d->r.sq_mask + 1 || depth > d->r.cq_mask + 1) {
		log_err("nvmering: iodepth %u exceeds the ring's %u SQ / %u CQ entries\n",
			depth, d->r.sq_mask + 1, d->r.cq_mask + 1);
		goto fail;
	}
	d->nslots = depth;
	d->buf_base = nvmering_buf_off(&d->r, depth, 0, 0);
	d->io_us = calloc(depth, sizeof(*d->io_us));
	d->events = calloc(depth, sizeof(*d->events));
	d->cqes = calloc(depth, sizeof(*d->cqes));
	if (!d->io_us || !d->events || !d->cqes)
		goto fail;
	td->io_ops_data = d;
	return 0;
fail:
	nvmering_close(&d->r);
	nri_fio_free(d);
	return 1;
}

static void nri_fio_cleanup(struct thread_data *td)
{
	struct nri_fio_data *d = td->io_ops_data;

	if (!d)
		return;
	nvmering_close(&d->r);
	nri_fio_free(d);
	td->io_ops_data = NULL;
}

/* fio's buffers: the queue's data area, after the slots */
static int nri_fio_iomem_alloc(struct thread_data *td, size_t total)
{
	struct nri_fio_data *d = td->io_ops_data;

	if (!d)
		return 1;
	if (d->buf_base + total > d->r.data_size) {
		log_err("nvmering: the ring's %llu-byte data area is smaller than the %llu bytes iodepth x bs needs\n",
			(unsigned long long)d->r.data_size,
			(unsigned long long)(d->buf_base + total));
		return 1;
	}
	td->orig_buffer = nvmering_buf(&d->r, d->buf_base);
	return 0;
}

static void nri_fio_iomem_free(struct thread_data *td)
{
	/* the data area goes with the ring, in cleanup */
	(void)td;
}

/*
 * The file's size is the ring's LBA window. fio asks before the job's
 * init (create_serialize), so the ring is looked at on its own here.
 */
static int nri_fio_get_file_size(struct thread_data *td, struct fio_file *f)
{
	struct nri_fio_options *o = td->eo;
	const char *name = nri_ring_name(td);
	struct nvmering r;
	int ret;

	if (fio_file_size_known(f))
		return 0;
	if (!name) {
		log_err("nvmering: no ring: set ring=NAME or filename=/dev/nvme_ring/NAME\n");
		td_verror(td, EINVAL, "nvmering ring");
		return 1;
	}
	ret = nvmering_open(&r, name, o->queue);
	if (ret) {
		log_err("nvmering: ring %s queue %d: %s\n", name, o->queue,
			strerror(-ret));
		td_verror(td, -ret, "nvmering open");
		return 1;
	}
	f->real_file_size = r.info.lba_count << r.info.lba_shift;
	fio_file_set_size_known(f);
	nvmering_close(&r);
	return 0;
}

/* The ring is opened in init: files are names only. */
static int nri_fio_open_file(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static int nri_fio_close_file(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static int nri_fio_invalidate(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static enum fio_q_status nri_fio_queue(struct thread_data *td,
				       struct io_u *io_u)
{
	struct nri_fio_data *d = td->io_ops_data;
	struct nvmering *r = &d->r;
	uint32_t shift = r->info.lba_shift, lba_mask = (1U << shift) - 1;
	uint64_t slot, buf;

	fio_ro_check(td, io_u);
	if (io_u->index >= d->nslots) {
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	slot = nvmering_slot_off(r, io_u->index);
	switch (io_u->ddir) {
	case DDIR_READ:
	case DDIR_WRITE:
		if ((io_u->offset | io_u->xfer_buflen) & lba_mask) {
			log_err("nvmering: offset %llu or length %llu is not a multiple of the %u-byte LBA\n",
				(unsigned long long)io_u->offset,
				(unsigned long long)io_u->xfer_buflen,
				1U << shift);
			io_u->error = EINVAL;
			return FIO_Q_COMPLETED;
		}
		buf = (uint64_t)((uint8_t *)io_u->xfer_buf -
				 (uint8_t *)nvmering_buf(r, 0));
		nvmering_prep_rw(r, slot,
				 io_u->ddir == DDIR_READ ? NVMERING_OP_READ :
							   NVMERING_OP_WRITE,
				 buf, r->info.lba_start + (io_u->offset >> shift),
				 (uint32_t)(io_u->xfer_buflen >> shift));
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		nvmering_prep_flush(r, slot);
		break;
	default:
		io_u->error = EOPNOTSUPP;
		return FIO_Q_COMPLETED;
	}
	if (nvmering_sq_push(r, slot))
		return FIO_Q_BUSY;
	d->io_us[io_u->index] = io_u;
	return FIO_Q_QUEUED;
}

static int nri_fio_commit(struct thread_data *td)
{
	struct nri_fio_data *d = td->io_ops_data;
	struct nri_fio_options *o = td->eo;
	int ret;

	io_u_mark_submit(td, td->io_u_queued);
	switch (o->submit) {
	case SUBMIT_WAIT:
		/* the next getevents submits and waits in one call */
		nvmering_sq_publish(&d->r);
		d->pending = true;
		return 0;
	case SUBMIT_SQPOLL:
		ret = nvmering_sq_commit(&d->r);
		break;
	default:
		ret = nvmering_submit(&d->r, 0);
		break;
	}
	if (ret < 0 && ret != -EAGAIN && ret != -EINTR) {
		td_verror(td, -ret, "nvmering submit");
		return ret;
	}
	return 0;
}

/* Wait until at least min completions are ready; 0 or -errno. */
static int nri_fio_wait(struct thread_data *td, unsigned int min,
			const struct timespec *t)
{
	struct nri_fio_data *d = td->io_ops_data;
	uint32_t tmo = t ? (uint32_t)(t->tv_sec * 1000 + t->tv_nsec / 1000000) : 1000;
	int ret;

	if (d->pending) {
		d->pending = false;
		ret = nvmering_submit_and_wait(&d->r,
					       nvmering_cq_ready(&d->r) >= min ? 0 : min);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			return ret;
	}
	while (nvmering_cq_ready(&d->r) < min) {
		ret = nvmering_wait(&d->r, min, tmo ? tmo : 1);
		if (ret == -ETIME && t)
			return 0;
		if (ret && ret != -ETIME && ret != -EINTR)
			return ret;
	}
	return 0;
}

static int nri_fio_getevents(struct thread_data *td, unsigned int min,
			     unsigned int max, const struct timespec *t)
{
	struct nri_fio_data *d = td->io_ops_data;
	uint32_t n, i, got = 0;
	int ret;

	if (min || d->pending) {
		ret = nri_fio_wait(td, min, t);
		if (ret) {
			td_verror(td, -ret, "nvmering wait");
			return ret;
		}
	}
	if (max > d->nslots)
		max = d->nslots;
	n = nvmering_peek_cqes(&d->r, d->cqes, max);
	for (i = 0; i < n; i++) {
		struct nvme_ring_cqe *c = &d->cqes[i];
		uint64_t idx = c->slot / NVME_RING_SLOT_SIZE;
		struct io_u *io_u;

		if (idx >= d->nslots || !d->io_us[idx]) {
			log_err("nvmering: completion for unknown slot 0x%llx (status 0x%x, error %d)\n",
				(unsigned long long)c->slot, c->status, c->err);
			continue;
		}
		io_u = d->io_us[idx];
		d->io_us[idx] = NULL;
		io_u->resid = 0;
		io_u->error = 0;
		if (c->err) {
			io_u->error = -c->err;
		} else if (c->status) {
			io_u->error = EIO;
			if (!d->status_logged) {
				log_err("nvmering: NVMe status 0x%x (%s)\n",
					c->status, nvmering_status_str(c->status));
				d->status_logged = true;
			}
		}
		d->events[got++] = io_u;
	}
	nvmering_cq_advance(&d->r, n);
	return (int)got;
}

static struct io_u *nri_fio_event(struct thread_data *td, int event)
{
	struct nri_fio_data *d = td->io_ops_data;

	return d->events[event];
}

struct ioengine_ops ioengine = {
	.name			= "nvmering",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_RAWIO | FIO_NOEXTEND | FIO_NODISKUTIL |
				  FIO_MEMALIGN,
	.init			= nri_fio_init,
	.cleanup		= nri_fio_cleanup,
	.queue			= nri_fio_queue,
	.commit			= nri_fio_commit,
	.getevents		= nri_fio_getevents,
	.event			= nri_fio_event,
	.open_file		= nri_fio_open_file,
	.close_file		= nri_fio_close_file,
	.invalidate		= nri_fio_invalidate,
	.get_file_size		= nri_fio_get_file_size,
	.iomem_alloc		= nri_fio_iomem_alloc,
	.iomem_free		= nri_fio_iomem_free,
	.option_struct_size	= sizeof(struct nri_fio_options),
	.options		= options,
};
