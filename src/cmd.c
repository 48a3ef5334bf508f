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

enum rq_end_io_ret nri_end_io(struct request *rq, blk_status_t err)
{
	struct nri_cmd *cmd = rq->end_io_data;
	u16 status;
	u64 result;
	int errno;

	errno = nri_nvme_rq_status(rq, err, &status, &result);
	if (cmd->has_bio) {
		bio_uninit(&cmd->bio);
		cmd->has_bio = false;
	}
	WRITE_ONCE(cmd->rq, NULL);
	if (cmd->ioucmd)
		nri_uring_cmd_end(cmd, status, result, errno);
	else
		nri_cmd_complete(cmd, status, result, errno, 0);
	return RQ_END_IO_FREE;
}

static bool nri_is_modifying(u8 opc)
{
	return opc != nvme_cmd_read && opc != nvme_cmd_compare &&
	       opc != nvme_cmd_flush && opc != nvme_cmd_verify;
}

/*
 * Check a command against the ring's rules. Returns 0 or an NVMe status,
 * with *err set to the errno the client sees.
 */
u16 nri_check_cmd(struct nri_queue *nq, const struct nvme_ring_slot *s,
		  const struct nvme_common_command *c, int *err)
{
	struct nri_ring *ring = nq->ring;
	struct nri_config *cfg = ring->cfg;
	struct nri_target *t = &ring->tgt;
	u64 slba = 0, nlb = 0, want = 0, end;
	bool lba_cmd = false;
	u8 opc = c->opcode;

	*err = -EINVAL;
	if (s->resv1 || s->resv2 || s->resv3 || s->meta_len || s->meta_off ||
	    c->flags || c->metadata || c->dptr.prp1 || c->dptr.prp2)
		return NRI_SC_INVALID_FIELD;

	if (!test_bit(opc, cfg->opcodes)) {
		*err = -EPERM;
		return NRI_SC_INVALID_OPCODE;
	}
	if (!t->writable && nri_is_modifying(opc)) {
		*err = -EBADF;
		return NRI_SC_ACCESS_DENIED;
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
		if (opc == nvme_cmd_read || opc == nvme_cmd_write ||
		    opc == nvme_cmd_compare)
			want = nlb * t->lba_bytes;
		break;
	case nvme_cmd_flush:
		want = 0;
		break;
	case nvme_cmd_dsm:
		/* The ranges live in shared memory: no window can be enforced. */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			return NRI_SC_LBA_RANGE;
		}
		want = ((le32_to_cpu(c->cdw10) & 0xff) + 1) *
		       sizeof(struct nvme_dsm_range);
		break;
	default:
		/*
		 * An opcode the administrator allowed by number (or Copy):
		 * its LBAs are not known here, so no window can be enforced.
		 */
		if (cfg->lba_start || cfg->lba_count) {
			*err = -EPERM;
			return NRI_SC_LBA_RANGE;
		}
		want = s->data_len;
		break;
	}

	if (s->data_len != want) {
		*err = -EINVAL;
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len > t->max_transfer) {
		*err = -E2BIG;
		return NRI_SC_INVALID_FIELD;
	}
	if (s->data_len &&
	    (s->data_off > nq->layout.data_size ||
	     s->data_len > nq->layout.data_size - s->data_off ||
	     (s->data_off & t->dma_align) || (s->data_len & 3))) {
		*err = -EFAULT;
		return NRI_SC_INVALID_FIELD;
	}
	if (lba_cmd) {
		u64 first = cfg->lba_start;
		u64 count = cfg->lba_count ? cfg->lba_count :
				t->nr_lbas - cfg->lba_start;

		if (check_add_overflow(slba, nlb, &end) || slba < first ||
		    end > first + count) {
			*err = -ERANGE;
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
 * Send @s, the kernel's own snapshot of a client command, to the device as
 * @cmd. On NRI_REJECTED (refused by the ring's rules or unmappable) and
 * NRI_FAILED (no request) *status and *err say why and the caller
 * completes @cmd; on NRI_BUSY (NRI_ISSUE_NOWAIT only) nothing happened.
 */
enum nri_issue_ret nri_cmd_issue(struct nri_queue *nq, struct nri_cmd *cmd,
				 struct nvme_ring_slot *s, unsigned int flags,
				 u16 *status, int *err)
{
	struct nri_ring *ring = nq->ring;
	/* the command is used in place, in the snapshot */
	struct nvme_command *c = (struct nvme_command *)s->cmd;
	blk_opf_t opf = (flags & NRI_ISSUE_POLLED) ? REQ_POLLED : 0;
	struct request *rq;
	char where[32];

	cmd->has_bio = false;
	cmd->bytes = 0;
	cmd->write = false;

	*status = nri_check_cmd(nq, s, &c->common, err);
	if (*status) {
		pr_warn_ratelimited("%s: queue %u: %s: opcode 0x%02x refused (error %d, status 0x%x)\n",
				    dev_name(&ring->dev), nq->idx,
				    nri_cmd_where(cmd, where, sizeof(where)),
				    c->common.opcode, *err, *status);
		return NRI_REJECTED;
	}
	nri_prepare_nvme_cmd(ring, c);

	rq = nri_nvme_alloc_request(ring->tgt.q, c, opf,
				    (flags & NRI_ISSUE_NOWAIT) ?
				    BLK_MQ_REQ_NOWAIT : 0);
	if (IS_ERR(rq)) {
		*err = PTR_ERR(rq);
		if ((flags & NRI_ISSUE_NOWAIT) &&
		    (*err == -EAGAIN || *err == -EWOULDBLOCK))
			return NRI_BUSY;
		pr_warn_ratelimited("%s: queue %u: cannot allocate a request: error %d\n",
				    dev_name(&ring->dev), nq->idx, *err);
		if (*err == -ENODEV)
			atomic_cmpxchg(&ring->state, NRI_STATE_LIVE,
				       NRI_STATE_DEAD);
		*status = NRI_SC_HOST_PATH;
		return NRI_FAILED;
	}
	/*
	 * A timeout makes the driver abort the command and may reset the
	 * controller for everyone: clients may lengthen it, not make it tiny.
	 */
	if (s->timeout_ms)
		rq->timeout = msecs_to_jiffies(max_t(u32, s->timeout_ms,
						     NRI_MIN_TIMEOUT_MS));

	if (s->data_len) {
		*err = nri_map_data(nq, cmd, rq, s->data_off, s->data_len);
		if (*err) {
			blk_mq_free_request(rq);
			pr_warn_ratelimited("%s: queue %u: %s: cannot map %u bytes: error %d\n",
					    dev_name(&ring->dev), nq->idx,
					    nri_cmd_where(cmd, where,
							  sizeof(where)),
					    s->data_len, *err);
			*status = NRI_SC_INVALID_FIELD;
			return NRI_REJECTED;
		}
	}
	cmd->bytes = s->data_len;
	cmd->write = nvme_is_write(c);
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
