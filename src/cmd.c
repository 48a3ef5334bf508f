// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: one command, from the client's words to the device.
 *
 * Both ways a client hands the ring a command (a slot named by an SQ
 * descriptor, or an io_uring NVME_RING_IO_URING_CMD) go through
 * nri_cmd_issue(): check it against the ring's rules, make the namespace,
 * identifier and data pointers ours, allocate the request (on the poll
 * queues for polled commands), map the data area pages it names, and
 * execute it. nri_end_io() takes the finished request back to whichever
 * way it came.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/nvme.h>

#include "nri.h"
#include "nri_trace.h"

/* How a command is named in the log: its slot, or its io_uring origin. */
static const char *nri_cmd_where(const struct nri_cmd *cmd, char *buf,
				 size_t len)
{
	if (cmd->ioucmd)
		return "io_uring command";
	snprintf(buf, len, "slot 0x%llx", cmd->slot);
	return buf;
}

/*
 * A finished request. The command's completion makes inflight drop under
 * the queue's cq_lock, after which teardown may go on: nothing touches the
 * queue once that lock is dropped.
 */
enum rq_end_io_ret nri_end_io(struct request *rq, blk_status_t err)
{
	struct nri_cmd *cmd = rq->end_io_data;
	struct nri_path *p = cmd->path;
	u16 status;
	u64 result;
	int errno;

	errno = nri_nvme_rq_status(rq, err, &status, &result);
	if (cmd->has_bio) {
		bio_uninit(&cmd->bio);
		cmd->has_bio = false;
	}
	WRITE_ONCE(cmd->rq, NULL);
	cmd->path = NULL;
	if (unlikely(cmd->may_retry) && nri_nvme_rq_path_error(rq, err) &&
	    nri_ring_live(cmd->nq->ring)) {
		char where[32];

		nri_warn(cmd->nq->ring, "queue %u: %s: opcode 0x%02x failed on the path through %s (status 0x%x, error %d): sending it again\n",
			 cmd->nq->idx, nri_cmd_where(cmd, where, sizeof(where)),
			 cmd->opcode, p->ctrl, status, errno);
		nri_nvme_path_failed(rq);
		nri_path_put(p);
		nri_requeue(cmd);
		return RQ_END_IO_FREE;
	}
	/* the path's last command frees it: nothing below touches it */
	nri_path_put(p);
	if (cmd->ioucmd)
		nri_uring_cmd_end(cmd, status, result, errno);
	else
		nri_cmd_complete(cmd, status, result, errno, 0);
	return RQ_END_IO_FREE;
}

struct nri_abort {
	struct nri_ring		*ring;
	unsigned int		n;
};

/* Whether @cmd is one of @ring's, by address: it may belong to no ring. */
static bool nri_ring_owns(struct nri_ring *ring, const void *cmd)
{
	unsigned int i;

	for (i = 0; i < ring->nr_queues; i++) {
		const struct nri_queue *nq = ring->queues[i];
		const char *first = nq->cmds;

		if ((const char *)cmd >= first &&
		    (const char *)cmd < first + nq->nr_cmds * nq->cmd_stride)
			return true;
	}
	return false;
}

/*
 * The block layer holds a reference on @rq while we look, so it cannot be
 * reused; if it has completed meanwhile the abort does nothing.
 */
static bool nri_abort_one(struct request *rq, void *data)
{
	struct nri_abort *a = data;

	if (rq->end_io != nri_end_io || !nri_ring_owns(a->ring, rq->end_io_data))
		return true;
	a->n++;
	blk_abort_request(rq);
	return true;
}

/*
 * Ask the driver to abort every command of @ring still at the device: its
 * timeout handling runs now (an Abort command, a controller reset if that
 * fails), and each command completes, with an error if it was aborted.
 * Returns how many were asked.
 */
unsigned int nri_abort_inflight(struct nri_ring *ring)
{
	struct nri_abort a = { .ring = ring };

	struct nri_path *p = nri_path_fixed(ring);

	if (p && p->q->tag_set)
		blk_mq_tagset_busy_iter(p->q->tag_set, nri_abort_one, &a);
	return a.n;
}

static bool nri_is_modifying(u8 opc)
{
	return opc != nvme_cmd_read && opc != nvme_cmd_compare &&
	       opc != nvme_cmd_flush && opc != nvme_cmd_verify;
}

/*
 * The command fields a client may set, per opcode: the bits allowed in
 * CDW2, CDW3 and CDW10 to CDW15 (the rest of the entry is the kernel's).
 * Everything else, reserved bits included, is refused, so that a field a
 * later revision of the specification gives a meaning cannot reach the
 * device unchecked. Opcodes without an entry (the administrator allowed
 * them by number, with their transfer length) are allowed only on rings
 * without an LBA window, and their fields are the client's.
 */
#define NRI_CMD_COPY		0x19
#define NRI_COPY_DESC_BYTES	32		/* source range format 0h */
#define NRI_CDW12_NR		GENMASK(7, 0)	/* copy: ranges - 1 */
#define NRI_CDW12_NLB		GENMASK(15, 0)
#define NRI_CDW12_DTYPE		GENMASK(23, 20)	/* directive type */
#define NRI_CDW12_NSZ		BIT(23)		/* zeroes: whole namespace */
#define NRI_CDW12_DEAC		BIT(25)		/* zeroes: deallocate */
#define NRI_CDW12_PRINFO	GENMASK(29, 26)	/* protection information: */
#define NRI_CDW12_PRACT		BIT(29)		/*  insert or strip it */
#define NRI_CDW12_PRCHK_GUARD	BIT(28)		/*  check the guard */
#define NRI_CDW12_PRCHK_APP	BIT(27)		/*  ... the application tag */
#define NRI_CDW12_PRCHK_REF	BIT(26)		/*  ... the reference tag */
#define NRI_CDW12_FUA		BIT(30)
#define NRI_CDW12_LR		BIT(31)
#define NRI_CDW13_DSM		GENMASK(7, 0)	/* access hints */
#define NRI_CDW13_DSPEC		GENMASK(31, 16)	/* directive specific */

struct nri_fields {
	u32 cdw[16];		/* allowed bits; only 2, 3 and 10-15 used */
	u32 directives[16];	/* more, on rings with directives=1 */
	u32 pi[16];		/* more, on namespaces with PI */
	bool meta;		/* transfers metadata with its blocks */
};

/*
 * With protection information: PRINFO, the initial reference tag
 * (CDW14) and the application tag and mask (CDW15).
 */
#define NRI_PI_FIELDS \
	.pi[12] = NRI_CDW12_PRINFO, .pi[14] = ~0U, .pi[15] = ~0U

static const struct nri_fields nri_rw_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,				/* SLBA */
	.cdw[12] = NRI_CDW12_NLB | NRI_CDW12_FUA | NRI_CDW12_LR,
	.cdw[13] = NRI_CDW13_DSM,
	NRI_PI_FIELDS,
	.meta = true,
};

static const struct nri_fields nri_write_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,
	.cdw[12] = NRI_CDW12_NLB | NRI_CDW12_FUA | NRI_CDW12_LR,
	.cdw[13] = NRI_CDW13_DSM,
	.directives[12] = NRI_CDW12_DTYPE,
	.directives[13] = NRI_CDW13_DSPEC,
	NRI_PI_FIELDS,
	.meta = true,
};

static const struct nri_fields nri_compare_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,
	.cdw[12] = NRI_CDW12_NLB | NRI_CDW12_FUA | NRI_CDW12_LR,
	NRI_PI_FIELDS,
	.meta = true,
};

/* NSZ (NVMe 2.1) would zero the whole namespace: never allowed. */
static const struct nri_fields nri_zeroes_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,
	.cdw[12] = NRI_CDW12_NLB | NRI_CDW12_DEAC | NRI_CDW12_FUA |
		   NRI_CDW12_LR,
	NRI_PI_FIELDS,
};

static const struct nri_fields nri_uncor_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,
	.cdw[12] = NRI_CDW12_NLB,
};

static const struct nri_fields nri_verify_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,
	.cdw[12] = NRI_CDW12_NLB,
	NRI_PI_FIELDS,
};

static const struct nri_fields nri_dsm_fields = {
	.cdw[10] = GENMASK(7, 0),				/* NR */
	.cdw[11] = GENMASK(2, 0),				/* AD, IDW, IDR */
};

/*
 * Copy with source range descriptor format 0h only: formats 2h and 3h name
 * a source namespace per range. No protection information fields.
 */
static const struct nri_fields nri_copy_fields = {
	.cdw[10] = ~0U, .cdw[11] = ~0U,				/* SDLBA */
	.cdw[12] = NRI_CDW12_NR | NRI_CDW12_FUA | NRI_CDW12_LR,
	.directives[12] = NRI_CDW12_DTYPE,
	.directives[13] = NRI_CDW13_DSPEC,
};

static const struct nri_fields nri_no_fields;			/* flush */

static const struct nri_fields *nri_opcode_fields(u8 opc)
{
	switch (opc) {
	case nvme_cmd_read:
		return &nri_rw_fields;
	case nvme_cmd_write:
		return &nri_write_fields;
	case nvme_cmd_compare:
		return &nri_compare_fields;
	case nvme_cmd_write_zeroes:
		return &nri_zeroes_fields;
	case nvme_cmd_write_uncor:
		return &nri_uncor_fields;
	case nvme_cmd_verify:
		return &nri_verify_fields;
	case nvme_cmd_dsm:
		return &nri_dsm_fields;
	case NRI_CMD_COPY:
		return &nri_copy_fields;
	case nvme_cmd_flush:
		return &nri_no_fields;
	default:
		return NULL;
	}
}

/*
 * Whether the fence knows @opc's fields and transfer length. Any other
 * opcode is allowed only by number with the length the administrator gave
 * (struct nri_opcodes).
 */
bool nri_opcode_known(u8 opc)
{
	return nri_opcode_fields(opc);
}

/*
 * The bits of the client's CDW@n (2-3, 10-15) that @f does not allow, with
 * its directive and PI fields allowed by the masks (~0U or 0). The command
 * is the submission queue entry itself, so CDWn is its n-th dword.
 */
static inline u32 nri_cdw_bad(const struct nri_fields *f,
			      const struct nvme_common_command *c,
			      unsigned int n, u32 dir_mask, u32 pi_mask)
{
	const __le32 *dw = (const __le32 *)c;

	return le32_to_cpu(dw[n]) & ~(f->cdw[n] | (f->directives[n] & dir_mask) |
				      (f->pi[n] & pi_mask));
}

static_assert(offsetof(struct nvme_common_command, cdw2) == 2 * 4);
static_assert(offsetof(struct nvme_common_command, cdw10) == 10 * 4);
static_assert(offsetof(struct nvme_common_command, cdw15) == 15 * 4);

static const unsigned int nri_client_cdws[] = { 2, 3, 10, 11, 12, 13, 14, 15 };

/*
 * 0, or the first dword with bits the opcode does not allow, said in @why.
 * All eight dwords at once, without a branch: this runs for every command.
 */
static int nri_check_fields(const struct nri_config *cfg,
			    const struct nri_target *t,
			    const struct nri_fields *f,
			    const struct nvme_common_command *c,
			    char *why, size_t len)
{
	u32 dir = cfg->directives ? ~0U : 0, pi = t->pi_type ? ~0U : 0;
	unsigned int i, n;
	u32 bad;

	if (!f)
		return 0;
	bad = nri_cdw_bad(f, c, 2, dir, pi) | nri_cdw_bad(f, c, 3, dir, pi) |
	      nri_cdw_bad(f, c, 10, dir, pi) | nri_cdw_bad(f, c, 11, dir, pi) |
	      nri_cdw_bad(f, c, 12, dir, pi) | nri_cdw_bad(f, c, 13, dir, pi) |
	      nri_cdw_bad(f, c, 14, dir, pi) | nri_cdw_bad(f, c, 15, dir, pi);
	if (likely(!bad))
		return 0;
	for (i = 0; i < ARRAY_SIZE(nri_client_cdws); i++) {
		n = nri_client_cdws[i];
		bad = nri_cdw_bad(f, c, n, dir, pi);
		if (bad)
			break;
	}
	scnprintf(why, len, "CDW%u bits 0x%08x are not allowed", n, bad);
	return -EINVAL;
}

/*
 * Bytes of metadata each block of @c moves: none when the PI is all of it
 * and the controller inserts or strips it (PRACT).
 */
static u32 nri_meta_bytes(const struct nri_target *t,
			  const struct nvme_common_command *c)
{
	if (t->pi_type && t->ms == t->pi_size &&
	    (le32_to_cpu(c->cdw12) & NRI_CDW12_PRACT))
		return 0;
	return t->ms;
}

/*
 * The metadata bytes @c moves in a buffer of its own (separate metadata):
 * what an io_uring command's metadata offset stands for.
 */
u32 nri_cmd_meta_len(const struct nri_target *t,
		     const struct nvme_common_command *c)
{
	const struct nri_fields *f = nri_opcode_fields(c->opcode);

	if (!f || !f->meta || !t->ms || t->meta_ext)
		return 0;
	return (le16_to_cpu(((struct nvme_rw_command *)c)->length) + 1U) *
	       nri_meta_bytes(t, c);
}

/*
 * PRINFO in the forms the namespace's protection type defines, and with
 * pi_check the checks the administrator requires: the guard, and the
 * reference tag but on type 3 (where it is not defined). A write whose
 * PI the controller generates (PRACT) has nothing to check.
 */
static int nri_check_pi(const struct nri_config *cfg,
			const struct nri_target *t,
			const struct nri_fields *f,
			const struct nvme_common_command *c,
			char *why, size_t len)
{
	u32 cdw12 = le32_to_cpu(c->cdw12), need;

	if (!t->pi_type || !f || !(f->pi[12] & NRI_CDW12_PRINFO))
		return 0;
	if (t->pi_type == NVME_NS_DPS_PI_TYPE3 &&
	    (cdw12 & NRI_CDW12_PRCHK_REF)) {
		scnprintf(why, len, "a reference tag check on a type 3 namespace");
		return -EINVAL;
	}
	if (!cfg->pi_check || c->opcode == nvme_cmd_write_zeroes ||
	    (c->opcode == nvme_cmd_write && (cdw12 & NRI_CDW12_PRACT)))
		return 0;
	need = NRI_CDW12_PRCHK_GUARD;
	if (t->pi_type != NVME_NS_DPS_PI_TYPE3)
		need |= NRI_CDW12_PRCHK_REF;
	if ((cdw12 & need) != need) {
		scnprintf(why, len, "pi_check: PRCHK must include 0x%x (CDW12 0x%08x)",
			  need >> 26, cdw12);
		return -EINVAL;
	}
	return 0;
}

/*
 * A metadata buffer: dword aligned, in the data area, and physically
 * contiguous (the PCI driver points the command's MPTR at it): within one
 * page, or one 2 MiB chunk that is a huge page.
 */
static bool nri_meta_mappable(struct nri_queue *nq, u64 off, u32 len)
{
	unsigned long first, last;

	if ((off & 3) || off > nq->layout.data_size ||
	    len > nq->layout.data_size - off)
		return false;
	first = (nq->layout.data_off + off) >> PAGE_SHIFT;
	last = (nq->layout.data_off + off + len - 1) >> PAGE_SHIFT;
	if (first == last)
		return true;
	return (first - nq->hdr_pages) >> NRI_CHUNK_ORDER ==
	       (last - nq->hdr_pages) >> NRI_CHUNK_ORDER &&
	       PageCompound(nq->pages[first]);
}

/*
 * Check a command against the ring's rules. Returns 0 or an NVMe status,
 * with *err set to the errno the client sees and @why to the reason (none
 * with @len 0: the I/O path asks again for the words when it needs them).
 */
u16 nri_check_cmd(struct nri_queue *nq, const struct nvme_ring_slot *s,
		  const struct nvme_common_command *c, int *err, char *why,
		  size_t len)
{
	struct nri_ring *ring = nq->ring;
	struct nri_config *cfg = ring->cfg;
	struct nri_target *t = &ring->tgt;
	const struct nri_fields *f = nri_opcode_fields(c->opcode);
	u64 slba = 0, nlb = 0, want = 0, want_meta = 0, end;
	bool lba_cmd = false;
	u8 opc = c->opcode;

	*err = -EINVAL;
	if (s->resv1 || s->resv2 || s->resv3) {
		scnprintf(why, len, "reserved fields of the slot set");
		return NRI_SC_INVALID_FIELD;
	}
	if (c->flags || c->metadata || c->dptr.prp1 || c->dptr.prp2) {
		scnprintf(why, len, "flags, metadata or data pointer set");
		return NRI_SC_INVALID_FIELD;
	}

	if (!test_bit(opc, cfg->opcodes.allowed)) {
		*err = -EPERM;
		scnprintf(why, len, "opcode not allowed on this ring");
		return NRI_SC_INVALID_OPCODE;
	}
	if (!t->writable && nri_is_modifying(opc)) {
		*err = -EBADF;
		scnprintf(why, len, "the ring's namespace is read-only");
		return NRI_SC_ACCESS_DENIED;
	}
	if (nri_check_fields(cfg, t, f, c, why, len) ||
	    nri_check_pi(cfg, t, f, c, why, len))
		return NRI_SC_INVALID_FIELD;
	if (s->timeout_ms && (s->timeout_ms < cfg->timeout_min_ms ||
			      s->timeout_ms > cfg->timeout_max_ms)) {
		scnprintf(why, len, "timeout_ms %u is outside the ring's [%u, %u]",
			  s->timeout_ms, cfg->timeout_min_ms,
			  cfg->timeout_max_ms);
		return NRI_SC_INVALID_FIELD;
	}

	switch (opc) {
	case nvme_cmd_read:
	case nvme_cmd_write:
	case nvme_cmd_compare:
	case nvme_cmd_write_zeroes:
	case nvme_cmd_write_uncor:
	case nvme_cmd_verify:
		lba_cmd = true;
		slba = le64_to_cpu(((struct nvme_rw_command *)c)->slba);
		nlb = le16_to_cpu(((struct nvme_rw_command *)c)->length) + 1ULL;
		/* of these, only read, write and compare move data */
		if (f->meta) {
			/* extended LBAs: the metadata is in the data */
			want = nlb * (t->lba_bytes +
				      (t->meta_ext ? nri_meta_bytes(t, c) : 0));
			want_meta = nri_cmd_meta_len(t, c);
		}
		break;
	case nvme_cmd_flush:
		want = 0;
		break;
	case nvme_cmd_dsm:
		/* The ranges live in shared memory: no window can be enforced. */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			scnprintf(why, len, "DSM on a ring with an LBA window");
			return NRI_SC_LBA_RANGE;
		}
		want = ((le32_to_cpu(c->cdw10) & 0xff) + 1) *
		       sizeof(struct nvme_dsm_range);
		break;
	default:
		/*
		 * Copy (its source ranges live in shared memory), or an opcode
		 * the administrator allowed by number: its LBAs are not known
		 * here, so no window can be enforced.
		 */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			scnprintf(why, len,
				  "an opcode without known LBAs on a ring with an LBA window");
			return NRI_SC_LBA_RANGE;
		}
		if (opc == NRI_CMD_COPY)
			want = ((le32_to_cpu(c->cdw12) & NRI_CDW12_NR) + 1) *
			       NRI_COPY_DESC_BYTES;
		else if (cfg->opcodes.xfer[opc] == NRI_XFER_NDT)
			want = (u64)le32_to_cpu(c->cdw10) * 4;
		else
			want = cfg->opcodes.xfer[opc];
		break;
	}

	if (s->data_len != want) {
		*err = -EINVAL;
		scnprintf(why, len, "data_len %u, the command moves %llu bytes",
			  s->data_len, want);
		return NRI_SC_INVALID_FIELD;
	}
	if (s->meta_len != want_meta || (!want_meta && s->meta_off)) {
		*err = -EINVAL;
		scnprintf(why, len,
			  "meta_len %u, meta_off 0x%llx: the blocks take %llu",
			  s->meta_len, s->meta_off, want_meta);
		return NRI_SC_INVALID_FIELD;
	}
	if (s->meta_len && !nri_meta_mappable(nq, s->meta_off, s->meta_len)) {
		*err = -EFAULT;
		scnprintf(why, len,
			  "metadata 0x%llx+%u outside, unaligned or not contiguous",
			  s->meta_off, s->meta_len);
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len > t->max_transfer) {
		*err = -E2BIG;
		scnprintf(why, len, "data_len %u is above the %u-byte limit",
			  s->data_len, t->max_transfer);
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len &&
	    (s->data_off > nq->layout.data_size ||
	     s->data_len > nq->layout.data_size - s->data_off ||
	     (s->data_off & t->dma_align) || (s->data_len & 3))) {
		*err = -EFAULT;
		scnprintf(why, len, "buffer 0x%llx+%u is not in the data area or misaligned",
			  s->data_off, s->data_len);
		return NRI_SC_INVALID_FIELD;
	}
	if (lba_cmd) {
		u64 first = cfg->lba_start;
		u64 count = cfg->lba_count ? cfg->lba_count :
				t->nr_lbas - cfg->lba_start;

		if (check_add_overflow(slba, nlb, &end) || slba < first ||
		    end > first + count) {
			*err = -ERANGE;
			scnprintf(why, len, "LBAs %llu+%llu are outside %llu+%llu",
				  slba, nlb, first, count);
			return NRI_SC_LBA_RANGE;
		}
	}
	*err = 0;
	return 0;
}

/* Map data_off/data_len of the data area, one bio_vec per page. */
static int nri_map_data(struct nri_queue *nq, struct nri_cmd *cmd,
			struct request *rq, u64 off, u32 len)
{
	struct bio *bio = &cmd->bio;
	int ret;

	off += nq->layout.data_off;
	bio_init(bio, NULL, cmd->bvecs, nq->ring->tgt.max_vecs, req_op(rq));
	while (len) {
		struct page *page = nq->pages[off >> PAGE_SHIFT];
		u32 poff = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		__bio_add_page(bio, page, n, poff);
		off += n;
		len -= n;
	}
	ret = blk_rq_append_bio(rq, bio);
	if (ret) {
		bio_uninit(bio);
		return ret;
	}
	cmd->has_bio = true;
	return 0;
}

/*
 * The metadata buffer (checked by nri_meta_mappable(): one physically
 * contiguous piece of the data area), as the request's integrity payload:
 * the PCI driver maps it for the command's MPTR, or a metadata SGL.
 */
static int nri_map_meta(struct nri_queue *nq, struct nri_cmd *cmd,
			struct request *rq, u64 off, u32 len, gfp_t gfp)
{
	struct bio_integrity_payload *bip;

	off += nq->layout.data_off;
	bip = bio_integrity_alloc(&cmd->bio, gfp, 1);
	if (IS_ERR(bip))
		return PTR_ERR(bip);
	bip->bip_vec[0].bv_page = nq->pages[off >> PAGE_SHIFT];
	bip->bip_vec[0].bv_offset = offset_in_page(off);
	bip->bip_vec[0].bv_len = len;
	bip->bip_vcnt = 1;
	bip->bip_iter.bi_size = len;
	rq->nr_integrity_segments = 1;
	rq->cmd_flags |= REQ_INTEGRITY;
	return 0;
}

/* The namespace, the identifier and the data pointers are ours. */
static void nri_prepare_nvme_cmd(struct nri_ring *ring, struct nvme_command *c)
{
	c->common.nsid = cpu_to_le32(ring->tgt.nsid);
	c->common.command_id = 0;
	c->common.flags = 0;
	c->common.metadata = 0;
	c->common.dptr.prp1 = 0;
	c->common.dptr.prp2 = 0;
}

/*
 * Copy @len bytes (a multiple of 8, both 8-byte aligned) of memory the
 * client may write meanwhile, each word read once: everything the kernel
 * checks and sends comes from the copy, the compiler cannot read the
 * shared memory again, and KCSAN knows the race is meant.
 */
void nri_copy_once(void *dst, const void *src, size_t len)
{
	const u64 *s = src;
	u64 *d = dst;
	size_t i;

	for (i = 0; i < len / sizeof(u64); i++)
		d[i] = READ_ONCE(s[i]);
}

/* How long a polled submitter reaps its poll context for a free tag. */
#define NRI_TAG_WAIT	max_t(unsigned long, msecs_to_jiffies(10), 2)

/*
 * A polled request. Its tag comes back only when someone polls the
 * context it ran on, so a sleeping allocation could wait for a tag that
 * nobody reaps (another ring's idle client may hold them all). Allocate
 * without sleeping and, when the caller may wait, reap the context that
 * serves this CPU between tries, which ends whatever is done there, other
 * rings' commands included. After NRI_TAG_WAIT the caller gets -EAGAIN and
 * leaves the command for later.
 */
static struct request *nri_alloc_polled(struct nri_queue *nq,
					struct nri_path *p,
					struct nvme_command *c,
					unsigned int flags)
{
	struct nri_target *t = &nq->ring->tgt;
	unsigned long end = jiffies + NRI_TAG_WAIT;
	struct request *rq;
	int hctx;

	for (;;) {
		rq = nri_nvme_alloc_request(p->q, c, REQ_POLLED,
					    BLK_MQ_REQ_NOWAIT);
		if (!IS_ERR(rq) || PTR_ERR(rq) != -EWOULDBLOCK ||
		    (flags & NRI_ISSUE_NOWAIT))
			return rq;
		hctx = nri_target_hctx_of_cpu(t, p, raw_smp_processor_id());
		if (nri_target_poll_hctx(p->q, hctx))
			continue;
		if (time_after(jiffies, end) || signal_pending(current))
			return rq;
		cond_resched();
	}
}

/*
 * A command about to go to the device: its start for the latency, the
 * disk's I/O accounting (iostat sees ring I/O as it sees its own), and
 * the submit tracepoint. Reads, writes, flushes, deallocations and write
 * zeroes are accounted as the block layer's operations of the same kind;
 * other opcodes are not.
 */
static void nri_cmd_start(struct nri_queue *nq, struct nri_cmd *cmd,
			  struct nvme_command *c, const struct nri_batch *b)
{
	struct nri_ring *ring = nq->ring;
	struct block_device *bdev = ring->tgt.acct_bdev;
	u8 opc = c->common.opcode;
	u64 slba = 0;

	cmd->opcode = opc;
	/* counted before the device can complete it; once, if sent again */
	if (!cmd->issued)
		atomic_dec(&nq->reserved);
	cmd->issued = true;
	cmd->acct = false;
	/* a command sent again keeps its first start: its client waits */
	if (!cmd->retries)
		cmd->start_ns = b ? b->now_ns : ktime_get_ns();
	cmd->acct_sectors = 0;
	switch (opc) {
	case nvme_cmd_read:
	case nvme_cmd_write:
		cmd->acct_op = opc == nvme_cmd_read ? REQ_OP_READ : REQ_OP_WRITE;
		/* the blocks, not the bytes: those may carry metadata */
		cmd->acct_sectors = (le16_to_cpu(c->rw.length) + 1U) <<
				    (ring->tgt.lba_shift - SECTOR_SHIFT);
		break;
	case nvme_cmd_flush:
		cmd->acct_op = REQ_OP_FLUSH;
		break;
	case nvme_cmd_dsm:
		cmd->acct_op = REQ_OP_DISCARD;
		break;
	case nvme_cmd_write_zeroes:
		cmd->acct_op = REQ_OP_WRITE_ZEROES;
		break;
	default:
		bdev = NULL;
		break;
	}
	if (opc != nvme_cmd_flush && opc != nvme_cmd_dsm)
		slba = le64_to_cpu(c->rw.slba);
	if (bdev) {
		cmd->acct = true;
		cmd->acct_start = nri_start_io_acct(bdev, cmd->acct_op,
						    cmd->acct_sectors, jiffies);
	}
	trace_nvme_ring_io_submit(dev_name(&ring->dev), nq->idx, cmd->slot,
				  opc, slba, cmd->bytes);
}

/*
 * Say why @s was refused: the checks again, with a buffer for the words
 * this time (the snapshot cannot change, so they refuse it the same way).
 * Kept out of nri_cmd_issue() so that the message buffers are not set up,
 * and with INIT_STACK_ALL_ZERO cleared, for every command.
 */
static void __cold nri_cmd_refused(struct nri_queue *nq, struct nri_cmd *cmd,
				   const struct nvme_ring_slot *s,
				   const struct nvme_common_command *c,
				   u16 status, int err)
{
	struct nri_ring *ring = nq->ring;
	char where[32], why[128];
	int again;

	if (!nri_check_cmd(nq, s, c, &again, why, sizeof(why)))
		strscpy(why, "refused", sizeof(why));
	nri_warn(ring, "queue %u: %s: opcode 0x%02x refused: %s (error %d, status 0x%x)\n",
		 nq->idx, nri_cmd_where(cmd, where, sizeof(where)),
		 c->opcode, why, err, status);
	trace_nvme_ring_io_reject(dev_name(&ring->dev), nq->idx, cmd->slot,
				  c->opcode, status, err, why);
}

/* The same for a command whose buffers could not be mapped. */
static void __cold nri_cmd_unmappable(struct nri_queue *nq,
				      struct nri_cmd *cmd,
				      const struct nvme_ring_slot *s,
				      u16 status, int err)
{
	struct nri_ring *ring = nq->ring;
	char where[32];

	nri_warn(ring, "queue %u: %s: cannot map %u bytes: error %d\n",
		 nq->idx, nri_cmd_where(cmd, where, sizeof(where)),
		 s->data_len, err);
	trace_nvme_ring_io_reject(dev_name(&ring->dev), nq->idx, cmd->slot,
				  s->cmd[0], status, err,
				  "the data area cannot be mapped");
}

/*
 * Send @s, the kernel's own snapshot of a client command, to the device as
 * @cmd. On NRI_REJECTED (refused by the ring's rules or unmappable) and
 * NRI_FAILED (no request) *status and *err say why and the caller
 * completes @cmd; on NRI_BUSY (NRI_ISSUE_NOWAIT only) nothing happened.
 */
enum nri_issue_ret nri_cmd_issue(struct nri_queue *nq, struct nri_cmd *cmd,
				 struct nvme_ring_slot *s, unsigned int flags,
				 const struct nri_batch *b, u16 *status, int *err)
{
	struct nri_ring *ring = nq->ring;
	/* the command is used in place, in the snapshot */
	struct nvme_command *c = (struct nvme_command *)s->cmd;
	blk_opf_t opf = (flags & NRI_ISSUE_POLLED) ? REQ_POLLED : 0;
	struct nri_target *t = &ring->tgt;
	unsigned int tries = 0;
	struct request *rq;
	struct nri_path *p;

	cmd->has_bio = false;
	cmd->bytes = 0;
	cmd->write = false;
	if (!(flags & NRI_ISSUE_RETRY))
		cmd->retries = 0;

	/* no words here: nri_cmd_refused() finds them when they are needed */
	*status = nri_check_cmd(nq, s, &c->common, err, NULL, 0);
	if (unlikely(*status)) {
		nri_cmd_refused(nq, cmd, s, &c->common, *status, *err);
		return NRI_REJECTED;
	}
	/* a head's command may go again on another path: keep it */
	cmd->may_retry = t->head && !t->poll && cmd->retries < NRI_MAX_RETRIES;
	if (cmd->may_retry && !(flags & NRI_ISSUE_RETRY))
		cmd->snap = *s;
	nri_prepare_nvme_cmd(ring, c);
	/* the batch's path, checked for it: a reference of the command's own */
	if (b && b->path) {
		p = b->path;
		percpu_ref_get(&p->ref);
		goto have_path;
	}
again:
	p = nri_path_get(ring);
	if (unlikely(!p)) {
		*err = -ENODEV;
		*status = NRI_SC_HOST_PATH;
		return NRI_FAILED;
	}
	if (unlikely(nri_target_changed(ring, p))) {
		nri_path_put(p);
		/* a head's ring may have moved to another path */
		if (t->head && nri_ring_live(ring) && ++tries < 3)
			goto again;
		*err = -ENODEV;
		*status = NRI_SC_HOST_PATH;
		return NRI_FAILED;
	}
have_path:
	if (opf & REQ_POLLED)
		rq = nri_alloc_polled(nq, p, c, flags);
	else
		rq = nri_nvme_alloc_request(p->q, c, opf,
					    (flags & NRI_ISSUE_NOWAIT) ?
					    BLK_MQ_REQ_NOWAIT : 0);
	if (IS_ERR(rq)) {
		*err = PTR_ERR(rq);
		/* no tag now: the command waits where it is */
		if (*err == -EWOULDBLOCK &&
		    ((flags & NRI_ISSUE_NOWAIT) || (opf & REQ_POLLED))) {
			nri_path_put(p);
			return NRI_BUSY;
		}
		/* the path's queue is dying: a head may have another */
		if (*err == -ENODEV && t->head && ++tries < 3 &&
		    !nri_path_switch(ring, p)) {
			nri_path_put(p);
			goto again;
		}
		nri_warn(ring, "queue %u: cannot allocate a request on the path through %s: error %d\n",
			 nq->idx, p->ctrl, *err);
		nri_path_put(p);
		if (*err == -ENODEV)
			nri_mark_dead(ring);
		*status = NRI_SC_HOST_PATH;
		return NRI_FAILED;
	}
	/* the client's (checked), else the driver's kept inside the range */
	rq->timeout = s->timeout_ms ? msecs_to_jiffies(s->timeout_ms) :
				      ring->tgt.timeout;

	if (s->data_len) {
		*err = nri_map_data(nq, cmd, rq, s->data_off, s->data_len);
		if (!*err && s->meta_len)
			*err = nri_map_meta(nq, cmd, rq, s->meta_off, s->meta_len,
					    (flags & NRI_ISSUE_NOWAIT) ?
					    GFP_NOWAIT : GFP_NOIO);
		if (*err) {
			if (cmd->has_bio) {
				bio_uninit(&cmd->bio);
				cmd->has_bio = false;
			}
			blk_mq_free_request(rq);
			nri_path_put(p);
			*status = NRI_SC_INVALID_FIELD;
			nri_cmd_unmappable(nq, cmd, s, *status, *err);
			return NRI_REJECTED;
		}
	}
	cmd->bytes = s->data_len;
	cmd->write = nvme_is_write(c);
	nri_cmd_start(nq, cmd, c, b);
	cmd->path = p;
	rq->end_io = nri_end_io;
	rq->end_io_data = cmd;
	if (opf & REQ_POLLED) {
		/* whoever polls the queue finds it through here */
		WRITE_ONCE(cmd->rq, rq);
		WRITE_ONCE(nq->poll_hint, cmd->idx);
	}
	blk_execute_rq_nowait(rq, false);
	return NRI_ISSUED;
}
