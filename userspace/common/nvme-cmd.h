/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe commands by name instead of by byte offset: the 64-byte submission
 * queue entry as a struct (NVMe base specification, "Common Command
 * Format"), the I/O opcodes the tools use, and builders for a read or
 * write in a ring slot, a URING_CMD or io_uring passthrough.
 *
 * Fields are little-endian on the wire; the builders convert.
 */
#ifndef NRI_COMMON_NVME_CMD_H
#define NRI_COMMON_NVME_CMD_H

#include <assert.h>
#include <stdint.h>
#include <linux/nvme_ioctl.h>

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

struct nvme_sqe {
	uint8_t		opcode;
	uint8_t		flags;		/* FUSE, PSDT */
	uint16_t	cid;
	uint32_t	nsid;
	uint32_t	cdw2;
	uint32_t	cdw3;
	uint64_t	mptr;		/* metadata pointer */
	uint64_t	prp1;		/* data pointer */
	uint64_t	prp2;
	uint32_t	cdw10;		/* read/write: SLBA bits 31:0 */
	uint32_t	cdw11;		/* read/write: SLBA bits 63:32 */
	uint32_t	cdw12;		/* read/write: NLB - 1 in bits 15:0 */
	uint32_t	cdw13;
	uint32_t	cdw14;
	uint32_t	cdw15;
};

static_assert(sizeof(struct nvme_sqe) == 64, "an NVMe SQE is 64 bytes");

/* The command in a slot or uring command (their cmd[64]) as an SQE. */
static inline struct nvme_sqe *nvme_sqe(void *cmd64)
{
	return cmd64;
}

/* A read or write of nlb (>= 1) blocks from slba; all else zero. */
void nvme_sqe_rw(struct nvme_sqe *c, uint8_t opcode, uint64_t slba,
		 uint32_t nlb);

/* The NLB field of a read or write: nlb (>= 1) blocks. */
void nvme_sqe_set_nlb(struct nvme_sqe *c, uint32_t nlb);

/* The same for io_uring NVMe passthrough (NVME_URING_CMD_IO). */
void nvme_uring_cmd_rw(struct nvme_uring_cmd *c, uint8_t opcode,
		       uint32_t nsid, void *buf, uint32_t len, uint64_t slba,
		       uint32_t nlb);

#endif /* NRI_COMMON_NVME_CMD_H */
