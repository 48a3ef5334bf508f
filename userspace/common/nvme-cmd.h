/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe commands by name instead of by byte offset. The 64-byte submission
 * queue entry is libnvmering's struct nvmering_sqe, built with
 * nvmering_sqe_rw(); here are the other opcodes the tools use, a view of a
 * slot's or URING_CMD's cmd[64] as an SQE, and builders for io_uring
 * passthrough.
 *
 * Fields are little-endian on the wire; the builders convert.
 */
#ifndef NRI_COMMON_NVME_CMD_H
#define NRI_COMMON_NVME_CMD_H

#include <assert.h>
#include <stdint.h>
#include <linux/nvme_ioctl.h>

#include "nvmering.h"

enum nvme_opcode {
	NVME_OPC_FLUSH		= 0x00,
	NVME_OPC_WRITE		= 0x01,
	NVME_OPC_READ		= 0x02,
	NVME_OPC_COMPARE	= 0x05,
	NVME_OPC_WRITE_ZEROES	= 0x08,
	NVME_OPC_DSM		= 0x09,
	NVME_OPC_COPY		= 0x19,
	NVME_OPC_FABRICS	= 0x7f,
};

/* FLAGS: PSDT (bits 7:6), 01b = SGL for the data */
#define NVME_SQE_F_PSDT_SGL	0x40


/* The command in a slot or uring command (their cmd[64]) as an SQE. */
static inline struct nvmering_sqe *nvme_sqe(void *cmd64)
{
	return cmd64;
}

/* The NLB field of a read or write: nlb (>= 1) blocks. */
void nvme_sqe_set_nlb(struct nvmering_sqe *c, uint32_t nlb);

/* The same for io_uring NVMe passthrough (NVME_URING_CMD_IO). */
void nvme_uring_cmd_rw(struct nvme_uring_cmd *c, uint8_t opcode,
		       uint32_t nsid, void *buf, uint32_t len, uint64_t slba,
		       uint32_t nlb);

#endif /* NRI_COMMON_NVME_CMD_H */
