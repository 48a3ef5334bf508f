// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>

#include "nvme-cmd.h"

void nvme_sqe_set_nlb(struct nvmering_sqe *c, uint32_t nlb)
{
	c->cdw12 = htole32((le32toh(c->cdw12) & ~0xffffU) |
			   ((nlb - 1) & 0xffff));
}

/* struct nvme_uring_cmd is in host order: the kernel converts */
void nvme_uring_cmd_rw(struct nvme_uring_cmd *c, uint8_t opcode,
		       uint32_t nsid, void *buf, uint32_t len, uint64_t slba,
		       uint32_t nlb)
{
	memset(c, 0, sizeof(*c));
	c->opcode = opcode;
	c->nsid = nsid;
	c->addr = (uint64_t)(uintptr_t)buf;
	c->data_len = len;
	c->cdw10 = (uint32_t)slba;
	c->cdw11 = (uint32_t)(slba >> 32);
	c->cdw12 = (nlb - 1) & 0xffff;
}
