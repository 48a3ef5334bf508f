// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libnvmering's ring arithmetic, without a kernel: a queue
 * region is faked in plain memory with a layout as the kernel reports it,
 * the library points struct nvmering into it as it does after mmap(), and
 * the test plays the kernel's side of the indices.
 *
 * Prints every failed check and a closing "N passed, N failed" line; exits
 * non-zero when anything failed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmering.h"
#include "../lib/nvmering-private.h"
#include "check.h"

/* A fake queue region: indices page, SQ descriptors, CQ entries, data. */
struct fake {
	struct nvmering r;
	uint8_t *mem;
	size_t size;
};

#define DATA_SIZE	(256 * 1024)

/*
 * The indices page as the kernel lays it out: a struct with each index on a
 * cache line of its own, so offsets from offsetof(). The line is 64 bytes
 * on x86-64 (offsets 0, 64, ..., 320), 128 on some arm64 and POWER CPUs;
 * the tests run with both, since the library must follow the layout it is
 * given and assume neither.
 */
#define FAKE_INDICES(name, line)					\
	struct name {							\
		uint32_t sq_producer __attribute__((aligned(line)));	\
		uint32_t sq_consumer __attribute__((aligned(line)));	\
		uint32_t sq_flags __attribute__((aligned(line)));	\
		uint32_t cq_producer __attribute__((aligned(line)));	\
		uint32_t cq_consumer __attribute__((aligned(line)));	\
		uint32_t cq_flags __attribute__((aligned(line)));	\
	}

#define FAKE_SET_INDICES(l, type) do {					\
	(l)->sq.producer = offsetof(type, sq_producer);			\
	(l)->sq.consumer = offsetof(type, sq_consumer);			\
	(l)->sq.flags = offsetof(type, sq_flags);			\
	(l)->cq.producer = offsetof(type, cq_producer);			\
	(l)->cq.consumer = offsetof(type, cq_consumer);			\
	(l)->cq.flags = offsetof(type, cq_flags);			\
} while (0)

FAKE_INDICES(fake_indices64, 64);
FAKE_INDICES(fake_indices128, 128);

/* The cache line of the layout fake_init() builds: 64 or 128. */
static unsigned int fake_line = 64;

static void fake_init(struct fake *f, uint32_t sq_entries, uint32_t cq_entries,
		      uint32_t start)
{
	struct nvme_ring_layout *l = &f->r.qinfo.layout;
	size_t desc = 4096;
	size_t cq = desc + (size_t)sq_entries * 8;
	size_t data = (cq + (size_t)cq_entries * sizeof(struct nvme_ring_cqe) +
		       4095) & ~(size_t)4095;

	memset(f, 0, sizeof(*f));
	f->size = data + DATA_SIZE;
	f->mem = aligned_alloc(4096, f->size);
	if (!f->mem) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(f->mem, 0, f->size);

	f->r.fd = -1;
	f->r.info.abi_version = NVME_RING_IO_ABI_VERSION;
	f->r.info.features = NVMERING_FEATURES_REQUIRED;
	f->r.info.sq_entries = sq_entries;
	f->r.info.cq_entries = cq_entries;
	f->r.info.lba_shift = 9;
	if (fake_line == 128)
		FAKE_SET_INDICES(l, struct fake_indices128);
	else
		FAKE_SET_INDICES(l, struct fake_indices64);
	l->sq.desc = desc;
	l->cq.desc = cq;
	l->data_off = data;
	l->data_size = DATA_SIZE;
	l->mmap_size = f->size;
	/* the pointers as the library sets them after mmap() */
	nvmering__set_region(&f->r, f->mem);
	/* every index starts at `start`, as after a long run */
	*f->r.sq_prod = *f->r.sq_cons = start;
	*f->r.cq_prod = *f->r.cq_cons = start;
	f->r.sq_tail = start;
	f->r.cq_head = start;
}

static void fake_free(struct fake *f)
{
	free(f->mem);
}

/* The kernel's side: consume n SQ descriptors into out[]. */
static uint32_t kernel_consume(struct fake *f, uint64_t *out, uint32_t n)
{
	uint32_t prod = *f->r.sq_prod, cons = *f->r.sq_cons, i;

	for (i = 0; i < n && cons != prod; i++, cons++)
		out[i] = f->r.sq_desc[cons & f->r.sq_mask];
	*f->r.sq_cons = cons;
	return i;
}

/* The kernel's side: post a CQE. */
static void kernel_complete(struct fake *f, uint64_t slot, uint16_t status,
			    int32_t err)
{
	uint32_t prod = *f->r.cq_prod;
	struct nvme_ring_cqe *c = &f->r.cqes[prod & f->r.cq_mask];

	c->slot = slot;
	c->status = status;
	c->flags = err ? NVME_RING_CQE_F_REJECTED : 0;
	c->err = err;
	*f->r.cq_prod = prod + 1;
}

static void test_sq_empty_full(uint32_t start)
{
	struct fake f;
	uint32_t i;

	fake_init(&f, 8, 8, start);
	CHECK_EQ(nvmering_sq_space(&f.r), 8);
	for (i = 0; i < 8; i++)
		CHECK_EQ(nvmering_sq_push(&f.r, nvmering_slot_off(&f.r, i)), 0);
	CHECK_EQ(nvmering_sq_space(&f.r), 0);
	CHECK_EQ(nvmering_sq_push(&f.r, 0), -EAGAIN);
	/* nothing visible to the kernel before publish */
	CHECK_EQ(*f.r.sq_prod, start);
	nvmering_sq_publish(&f.r);
	CHECK_EQ(*f.r.sq_prod, start + 8);
	CHECK_EQ(f.r.sq_tail, start + 8);
	/* still full until the kernel consumes */
	CHECK_EQ(nvmering_sq_space(&f.r), 0);
	fake_free(&f);
}

static void test_sq_wrap(uint32_t start)
{
	uint64_t got[16];
	uint64_t want = 0, next = 0;
	struct fake f;
	uint32_t round, i, n;

	fake_init(&f, 16, 16, start);
	/* push/consume in uneven batches across the u32 wrap */
	for (round = 0; round < 40; round++) {
		uint32_t batch = 1 + (round * 7) % 16;
		uint32_t space = nvmering_sq_space(&f.r);

		CHECK(space <= 16, "space %u", space);
		for (i = 0; i < batch && nvmering_sq_space(&f.r); i++)
			CHECK_EQ(nvmering_sq_push(&f.r, (next++) * NVME_RING_SLOT_SIZE), 0);
		CHECK_EQ(nvmering_sq_space(&f.r), space - i);
		nvmering_sq_publish(&f.r);
		CHECK_EQ(*f.r.sq_prod, f.r.sq_tail);
		n = kernel_consume(&f, got, 1 + round % 16);
		for (i = 0; i < n; i++)
			CHECK_EQ(got[i], (want++) * NVME_RING_SLOT_SIZE);
	}
	/* drain and check order */
	n = kernel_consume(&f, got, 16);
	for (i = 0; i < n; i++)
		CHECK_EQ(got[i], (want++) * NVME_RING_SLOT_SIZE);
	CHECK_EQ(want, next);
	CHECK_EQ(nvmering_sq_space(&f.r), 16);
	CHECK_EQ(f.r.sq_tail, start + (uint32_t)next);
	if (start > UINT32_MAX - 64)
		CHECK(f.r.sq_tail < start, "tail 0x%x did not wrap from 0x%x",
		      f.r.sq_tail, start);
	fake_free(&f);
}

static void test_cq(uint32_t start)
{
	struct nvme_ring_cqe out[8];
	struct fake f;
	uint32_t i, n, seen = 0, posted = 0, round;

	fake_init(&f, 8, 8, start);
	CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	CHECK_EQ(nvmering_peek_cqes(&f.r, out, 8), 0);
	for (round = 0; round < 30; round++) {
		uint32_t post = 1 + round % 8;

		for (i = 0; i < post; i++, posted++)
			kernel_complete(&f, (uint64_t)posted * NVME_RING_SLOT_SIZE,
					posted % 5 ? 0 : 0x0280, 0);
		CHECK_EQ(nvmering_cq_ready(&f.r), posted - seen);
		/* peek does not consume */
		n = nvmering_peek_cqes(&f.r, out, 3);
		CHECK_EQ(n, post < 3 ? post : 3);
		CHECK_EQ(nvmering_cq_ready(&f.r), posted - seen);
		CHECK_EQ(*f.r.cq_cons, start + seen);
		n = nvmering_peek_cqes(&f.r, out, 8);
		CHECK_EQ(n, post);
		for (i = 0; i < n; i++) {
			CHECK_EQ(out[i].slot, (uint64_t)(seen + i) * NVME_RING_SLOT_SIZE);
			CHECK_EQ(out[i].status, (seen + i) % 5 ? 0 : 0x0280);
		}
		nvmering_cq_advance(&f.r, n);
		seen += n;
		CHECK_EQ(*f.r.cq_cons, start + seen);
		CHECK_EQ(f.r.cq_head, start + seen);
		CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	}
	/* advance in two steps */
	for (i = 0; i < 6; i++, posted++)
		kernel_complete(&f, 0, 0, -EINVAL);
	CHECK_EQ(nvmering_cq_ready(&f.r), 6);
	nvmering_cq_advance(&f.r, 2);
	CHECK_EQ(nvmering_cq_ready(&f.r), 4);
	n = nvmering_peek_cqes(&f.r, out, 8);
	CHECK_EQ(n, 4);
	CHECK_EQ(out[0].err, -EINVAL);
	CHECK(out[0].flags & NVME_RING_CQE_F_REJECTED, "flags 0x%x", out[0].flags);
	nvmering_cq_advance(&f.r, 4);
	CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	CHECK_EQ(f.r.cq_head, start + posted);
	fake_free(&f);
}

/* The CQE iterator hands out pointers into the CQ, valid until advance. */
static void test_cq_iter(uint32_t start)
{
	struct nvme_ring_cqe *cqe, *seen[8];
	struct fake f;
	uint32_t head, n, i, posted = 0, reaped = 0, round;

	fake_init(&f, 8, 8, start);
	CHECK_EQ(nvmering_peek_cqe(&f.r, &cqe), -EAGAIN);
	CHECK(cqe == NULL, "no CQE, NULL pointer");
	n = 0;
	nvmering_for_each_cqe(&f.r, head, cqe)
		n++;
	CHECK_EQ(n, 0);
	CHECK_EQ(head, start);

	for (round = 0; round < 20; round++) {
		uint32_t post = 1 + (round * 3) % 8;

		for (i = 0; i < post; i++, posted++)
			kernel_complete(&f, (uint64_t)posted * NVME_RING_SLOT_SIZE,
					(uint16_t)posted, 0);
		CHECK_EQ(nvmering_peek_cqe(&f.r, &cqe), 0);
		CHECK(cqe == &f.r.cqes[f.r.cq_head & f.r.cq_mask],
		      "peek points at the head entry");
		CHECK_EQ(cqe->slot, (uint64_t)reaped * NVME_RING_SLOT_SIZE);

		n = 0;
		nvmering_for_each_cqe(&f.r, head, cqe) {
			CHECK(cqe == &f.r.cqes[(start + reaped + n) & f.r.cq_mask],
			      "entry %u of round %u", n, round);
			CHECK_EQ(cqe->slot, (uint64_t)(reaped + n) * NVME_RING_SLOT_SIZE);
			CHECK_EQ(cqe->status, (uint16_t)(reaped + n));
			seen[n++] = cqe;
		}
		CHECK_EQ(n, post);
		CHECK_EQ(head, start + reaped + post);
		/* nothing consumed: the kernel still sees every entry in use */
		CHECK_EQ(*f.r.cq_cons, start + reaped);
		CHECK_EQ(nvmering_cq_ready(&f.r), post);
		/* the pointers still read the same entries before the advance */
		for (i = 0; i < n; i++)
			CHECK_EQ(seen[i]->status, (uint16_t)(reaped + i));
		/* advance in two steps: the peek moves with it */
		nvmering_cq_advance(&f.r, 1);
		reaped++;
		if (post > 1) {
			CHECK_EQ(nvmering_peek_cqe(&f.r, &cqe), 0);
			CHECK(cqe == seen[1], "peek after advance(1)");
		}
		nvmering_cq_advance(&f.r, n - 1);
		reaped += n - 1;
		CHECK_EQ(*f.r.cq_cons, start + reaped);
		CHECK_EQ(nvmering_peek_cqe(&f.r, &cqe), -EAGAIN);
	}
	CHECK_EQ(reaped, posted);
	fake_free(&f);
}

/*
 * Indices that cannot be right (the client's page scribbled on) read as a
 * full SQ and an empty CQ, as the kernel reads them, not as 4 billion.
 */
static void test_garbage_indices(uint32_t start)
{
	struct nvme_ring_cqe *cqe, out[8];
	struct fake f;
	uint32_t head, n, i;

	fake_init(&f, 8, 8, start);
	/* the SQ: a consumer from nowhere, then the kernel's back */
	*f.r.sq_cons = start + 0x12345678;
	CHECK_EQ(nvmering_sq_space(&f.r), 0);
	CHECK_EQ(nvmering_sq_push(&f.r, 0), -EAGAIN);
	*f.r.sq_cons = start - 9;	/* ahead of the tail by more than 8 */
	CHECK_EQ(nvmering_sq_space(&f.r), 0);
	*f.r.sq_cons = start;
	CHECK_EQ(nvmering_sq_space(&f.r), 8);
	/* exactly full is still right */
	for (i = 0; i < 8; i++)
		CHECK_EQ(nvmering_sq_push(&f.r, 0), 0);
	CHECK_EQ(nvmering_sq_space(&f.r), 0);

	/* the CQ: a producer from nowhere */
	*f.r.cq_prod = start + 0x80000000u;
	CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	CHECK_EQ(nvmering_peek_cqes(&f.r, out, 8), 0);
	CHECK_EQ(nvmering_peek_cqe(&f.r, &cqe), -EAGAIN);
	n = 0;
	nvmering_for_each_cqe(&f.r, head, cqe)
		n++;
	CHECK_EQ(n, 0);
	*f.r.cq_prod = start - 1;	/* behind the head */
	CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	/* a full CQ is right, one more is not */
	*f.r.cq_prod = start + 8;
	CHECK_EQ(nvmering_cq_ready(&f.r), 8);
	n = 0;
	nvmering_for_each_cqe(&f.r, head, cqe)
		n++;
	CHECK_EQ(n, 8);
	*f.r.cq_prod = start + 9;
	CHECK_EQ(nvmering_cq_ready(&f.r), 0);
	fake_free(&f);
}

/*
 * A queue with an SQ poller. The fake has no file (fd -1), so a call that
 * enters the kernel shows up as -EBADF.
 */
static void test_sq_poll(uint32_t start)
{
	struct fake f;

	fake_init(&f, 8, 8, start);
	CHECK(!nvmering_sq_polled(&f.r), "no poller");
	/* without a poller, commit always enters the kernel */
	CHECK_EQ(nvmering_sq_push(&f.r, 0), 0);
	CHECK_EQ(nvmering_sq_commit(&f.r), -EBADF);
	CHECK_EQ(*f.r.sq_prod, start + 1);

	f.r.info.sq_poll_idle_ms = 10;
	CHECK(nvmering_sq_polled(&f.r), "poller");
	/* an awake poller: publish only */
	CHECK(!nvmering_sq_need_wakeup(&f.r), "awake");
	CHECK_EQ(nvmering_sq_push(&f.r, 128), 0);
	CHECK_EQ(nvmering_sq_commit(&f.r), 0);
	CHECK_EQ(*f.r.sq_prod, start + 2);
	/* a sleeping one: publish, then kick */
	*f.r.sq_flags = NVME_RING_FLAG_NEED_WAKEUP;
	CHECK(nvmering_sq_need_wakeup(&f.r), "asleep");
	CHECK_EQ(nvmering_sq_push(&f.r, 256), 0);
	CHECK_EQ(nvmering_sq_commit(&f.r), -EBADF);
	CHECK_EQ(*f.r.sq_prod, start + 3);

	/*
	 * Making CQ room wakes a sleeping poller with entries pending, but
	 * publishes nothing: the SQ's tail belongs to the submitting side.
	 */
	CHECK_EQ(nvmering_sq_push(&f.r, 384), 0);
	kernel_complete(&f, 0, 0, 0);
	nvmering_cq_advance(&f.r, 1);
	CHECK_EQ(*f.r.cq_cons, start + 1);
	CHECK_EQ(*f.r.sq_prod, start + 3);
	CHECK_EQ(f.r.sq_tail, start + 4);
	fake_free(&f);
}

/* A full pipeline: push, kernel consumes and completes, reap; repeated. */
static void test_roundtrip(uint32_t start)
{
	struct nvme_ring_cqe out[32];
	uint64_t got[32];
	struct fake f;
	uint32_t round, i, n, k;
	uint64_t issued = 0, reaped = 0;

	fake_init(&f, 32, 32, start);
	for (round = 0; round < 100; round++) {
		uint32_t want = 1 + (round * 13) % 32;

		for (i = 0; i < want && nvmering_sq_space(&f.r); i++, issued++)
			nvmering_sq_push(&f.r, nvmering_slot_off(&f.r, (uint32_t)(issued % 32)));
		nvmering_sq_publish(&f.r);
		n = kernel_consume(&f, got, 32);
		for (k = 0; k < n; k++)
			kernel_complete(&f, got[k], 0, 0);
		n = nvmering_peek_cqes(&f.r, out, 32);
		for (k = 0; k < n; k++, reaped++)
			CHECK_EQ(out[k].slot, nvmering_slot_off(&f.r, (uint32_t)(reaped % 32)));
		nvmering_cq_advance(&f.r, n);
	}
	CHECK_EQ(issued, reaped);
	CHECK_EQ(*f.r.sq_prod, *f.r.sq_cons);
	CHECK_EQ(*f.r.cq_prod, *f.r.cq_cons);
	CHECK_EQ(*f.r.sq_prod, start + (uint32_t)issued);
	fake_free(&f);
}

static void test_offsets(void)
{
	struct fake f;
	uint64_t s;

	fake_init(&f, 8, 8, 0);
	CHECK_EQ(nvmering_slot_off(&f.r, 0), 0);
	CHECK_EQ(nvmering_slot_off(&f.r, 1), NVME_RING_SLOT_SIZE);
	CHECK_EQ(nvmering_slot_off(&f.r, 100), 100 * NVME_RING_SLOT_SIZE);
	CHECK_EQ(nvmering_slot_off(&f.r, 0xffffffffu),
		 (uint64_t)0xffffffffu * NVME_RING_SLOT_SIZE);
	/* buffers start at the first 4 KiB boundary after the slots */
	CHECK_EQ(nvmering_buf_off(&f.r, 0, 0, 4096), 0);
	CHECK_EQ(nvmering_buf_off(&f.r, 1, 0, 4096), 4096);
	CHECK_EQ(nvmering_buf_off(&f.r, 32, 0, 4096), 4096);
	CHECK_EQ(nvmering_buf_off(&f.r, 33, 0, 4096), 8192);
	CHECK_EQ(nvmering_buf_off(&f.r, 32, 3, 4096), 4096 + 3 * 4096);
	CHECK_EQ(nvmering_buf_off(&f.r, 256, 255, 65536), 32768 + 255ULL * 65536);
	CHECK_EQ(nvmering_buf_off(&f.r, 0xffffffffu, 1, 0xffffffffu),
		 (((uint64_t)0xffffffffu * 128 + 4095) & ~4095ULL) + 0xffffffffULL);
	CHECK_EQ(nvmering_buf_off(&f.r, 64, 1, 4096) % 4096, 0);
	/* slots are 64-byte aligned and the struct is the ABI's size */
	CHECK_EQ(sizeof(struct nvme_ring_slot), NVME_RING_SLOT_SIZE);
	CHECK_EQ(sizeof(struct nvme_ring_cqe), 16);
	CHECK_EQ(nvmering_slot_off(&f.r, 3) % 64, 0);
	/* slot and buffer pointers land in the data area */
	s = nvmering_slot_off(&f.r, 2);
	CHECK(nvmering_slot(&f.r, s) == (struct nvme_ring_slot *)(f.r.data + 256), "slot pointer");
	CHECK((uint8_t *)nvmering_buf(&f.r, 8192) == f.r.data + 8192, "buffer pointer");
	fake_free(&f);
}

/* The layouts fake_init() builds, and the pointers the library takes. */
static void test_layout(void)
{
	struct fake f;
	unsigned int line;

	/* on x86-64 the kernel's struct puts the indices 64 bytes apart */
	CHECK_EQ(offsetof(struct fake_indices64, sq_consumer), 64);
	CHECK_EQ(offsetof(struct fake_indices64, cq_flags), 320);
	CHECK_EQ(offsetof(struct fake_indices128, sq_consumer), 128);
	CHECK_EQ(offsetof(struct fake_indices128, cq_flags), 640);
	CHECK(sizeof(struct fake_indices128) <= 4096, "indices fit their page");

	for (line = 64; line <= 128; line *= 2) {
		fake_line = line;
		fake_init(&f, 8, 16, 0);
		CHECK((uint8_t *)f.r.sq_prod == f.mem, "sq.producer");
		CHECK((uint8_t *)f.r.sq_cons == f.mem + line, "sq.consumer");
		CHECK((uint8_t *)f.r.sq_flags == f.mem + 2 * line, "sq.flags");
		CHECK((uint8_t *)f.r.cq_prod == f.mem + 3 * line, "cq.producer");
		CHECK((uint8_t *)f.r.cq_cons == f.mem + 4 * line, "cq.consumer");
		CHECK((uint8_t *)f.r.cq_flags == f.mem + 5 * line, "cq.flags");
		CHECK((uint8_t *)f.r.sq_desc == f.mem + 4096, "SQ descriptors");
		CHECK((uint8_t *)f.r.cqes == f.mem + 4096 + 8 * 8, "CQ entries");
		CHECK(f.r.data == f.mem + 8192, "data area");
		CHECK_EQ(f.r.data_size, DATA_SIZE);
		CHECK_EQ(f.r.map_size, f.size);
		CHECK_EQ(f.r.sq_mask, 7);
		CHECK_EQ(f.r.cq_mask, 15);
		fake_free(&f);
	}
	fake_line = 64;
}

/*
 * Every queue's mmap() offset, and the end of its largest possible region,
 * in 4 KiB pages fits the 32-bit page offset of a 32-bit client's mmap2().
 */
static void test_mmap_offsets(void)
{
	uint64_t region = (NVME_RING_IO_MAX_DATA_SIZE + 4096 +
			   (uint64_t)NVME_RING_IO_MAX_ENTRIES *
			   (8 + sizeof(struct nvme_ring_cqe)) + 4095) &
			  ~(uint64_t)4095;
	uint32_t q;

	CHECK(region <= NVME_RING_IO_MMAP_STRIDE, "region 0x%" PRIx64, region);
	for (q = 0; q < NVME_RING_IO_MAX_QUEUES; q++) {
		uint64_t off = (uint64_t)q * NVME_RING_IO_MMAP_STRIDE;

		CHECK(off / 4096 <= UINT32_MAX, "queue %u offset", q);
		CHECK((off + region) / 4096 <= UINT32_MAX,
		      "queue %u ends at page 0x%" PRIx64, q, (off + region) / 4096);
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_prep(void)
{
	struct nvme_ring_slot *s;
	struct fake f;
	uint64_t slot, buf;
	uint8_t sqe[64];

	fake_init(&f, 8, 8, 0);
	slot = nvmering_slot_off(&f.r, 1);
	buf = nvmering_buf_off(&f.r, 8, 0, 4096);
	s = nvmering_slot(&f.r, slot);
	memset(s, 0xff, sizeof(*s));
	s->user_data = 0x1234;

	nvmering_prep_read(&f.r, slot, buf, 0x123456789aULL, 8);
	CHECK_EQ(s->cmd[0], 0x02);
	CHECK_EQ(le32(s->cmd + 40), 0x3456789a);
	CHECK_EQ(le32(s->cmd + 44), 0x12);
	CHECK_EQ(le32(s->cmd + 48), 7);
	CHECK_EQ(le32(s->cmd + 4), 0);		/* NSID: the kernel's */
	CHECK_EQ(le32toh(nvmering_slot_sqe(s)->cdw11), 0x12);
	CHECK(nvmering_slot_sqe(s) == (struct nvmering_sqe *)s->cmd, "slot SQE");
	CHECK_EQ(le32(s->cmd + 24), 0);		/* PRP1 */
	CHECK_EQ(s->data_off, buf);
	CHECK_EQ(s->data_len, 8 * 512);
	CHECK_EQ(s->user_data, 0x1234);	/* kept */
	CHECK_EQ(s->meta_len, 0);
	CHECK_EQ(s->resv1, 0);
	CHECK_EQ(s->status, 0);
	CHECK_EQ(s->err, 0);

	f.r.info.lba_shift = 12;
	nvmering_prep_write(&f.r, slot, buf, 7, 2);
	CHECK_EQ(s->cmd[0], 0x01);
	CHECK_EQ(le32(s->cmd + 40), 7);
	CHECK_EQ(le32(s->cmd + 48), 1);
	CHECK_EQ(s->data_len, 8192);

	nvmering_prep_write_zeroes(&f.r, slot, 100, 16);
	CHECK_EQ(s->cmd[0], 0x08);
	CHECK_EQ(le32(s->cmd + 48), 15);
	CHECK_EQ(s->data_len, 0);
	CHECK_EQ(s->data_off, 0);

	nvmering_prep_flush(&f.r, slot);
	CHECK_EQ(s->cmd[0], 0x00);
	CHECK_EQ(s->data_len, 0);

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x05;		/* compare */
	sqe[52] = 0xaa;
	nvmering_prep_raw(&f.r, slot, sqe, buf, 512);
	CHECK(!memcmp(s->cmd, sqe, 64), "raw SQE copied");
	CHECK_EQ(s->data_off, buf);
	CHECK_EQ(s->data_len, 512);
	nvmering_prep_raw(&f.r, slot, sqe, buf, 0);
	CHECK_EQ(s->data_off, 0);	/* no buffer, no offset */
	fake_free(&f);
}

/* struct nvmering_sqe has the NVMe SQE layout, and its builders fill it. */
static void test_sqe(void)
{
	struct nvmering_sqe sqe;
	uint8_t *b = (uint8_t *)&sqe;

	CHECK_EQ(sizeof(sqe), 64);
	CHECK_EQ(offsetof(struct nvmering_sqe, opcode), 0);
	CHECK_EQ(offsetof(struct nvmering_sqe, flags), 1);
	CHECK_EQ(offsetof(struct nvmering_sqe, command_id), 2);
	CHECK_EQ(offsetof(struct nvmering_sqe, nsid), 4);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw2), 8);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw3), 12);
	CHECK_EQ(offsetof(struct nvmering_sqe, metadata), 16);
	CHECK_EQ(offsetof(struct nvmering_sqe, prp1), 24);
	CHECK_EQ(offsetof(struct nvmering_sqe, prp2), 32);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw10), 40);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw11), 44);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw12), 48);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw13), 52);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw14), 56);
	CHECK_EQ(offsetof(struct nvmering_sqe, cdw15), 60);

	memset(&sqe, 0xff, sizeof(sqe));
	nvmering_sqe_rw(&sqe, NVMERING_OP_COMPARE, 0xfedcba9876ULL, 65536);
	CHECK_EQ(b[0], 0x05);
	CHECK_EQ(le32(b + 40), 0xdcba9876);
	CHECK_EQ(le32(b + 44), 0xfe);
	CHECK_EQ(le32(b + 48), 0xffff);		/* 0's based */
	CHECK_EQ(le32(b + 4), 0);
	CHECK_EQ(le32(b + 52), 0);
	CHECK_EQ(le32(b + 60), 0);
	CHECK_EQ(sqe.prp1, 0);

	memset(&sqe, 0xff, sizeof(sqe));
	nvmering_sqe_init(&sqe, NVMERING_OP_FLUSH);
	CHECK_EQ(b[0], 0);
	CHECK(!memcmp(b, (uint8_t[64]){ 0 }, 64), "init clears the SQE");
}

/* Kernels are accepted by their features, never refused for unknown bits. */
static void test_features(void)
{
	struct nvme_ring_info info;
	struct fake f;

	memset(&info, 0, sizeof(info));
	info.abi_version = NVME_RING_IO_ABI_VERSION;
	info.features = NVMERING_FEATURES_REQUIRED;
	CHECK_EQ(nvmering_check_info(&info, -1), 0);
	CHECK_EQ(nvmering_check_info(&info, 0), 0);
	/* another queue needs MULTI_QUEUE */
	CHECK_EQ(nvmering_check_info(&info, 1), -EOPNOTSUPP);
	CHECK_EQ(nvmering_check_info(&info, 255), -EOPNOTSUPP);
	info.features |= NVME_RING_IO_F_MULTI_QUEUE;
	CHECK_EQ(nvmering_check_info(&info, 1), 0);
	CHECK_EQ(nvmering_check_info(&info, 255), 0);
	/* bits the library does not know, now or later, never matter */
	info.features = ~0ULL;
	CHECK_EQ(nvmering_check_info(&info, 3), 0);
	info.features = NVMERING_FEATURES_REQUIRED | (1ULL << 63) | (1ULL << 40);
	CHECK_EQ(nvmering_check_info(&info, 0), 0);
	/* every required bit is needed */
	info.features = ~0ULL & ~(uint64_t)NVME_RING_IO_F_CQE_STATUS;
	CHECK_EQ(nvmering_check_info(&info, 0), -EOPNOTSUPP);
	info.features = 0;
	CHECK_EQ(nvmering_check_info(&info, -1), -EOPNOTSUPP);
	/* another abi_version is another interface */
	info.features = ~0ULL;
	info.abi_version = NVME_RING_IO_ABI_VERSION + 1;
	CHECK_EQ(nvmering_check_info(&info, 0), -EPROTO);
	info.abi_version = 0;
	CHECK_EQ(nvmering_check_info(&info, 0), -EPROTO);
	/* the library needs nothing newer than what the first kernel had */
	CHECK_EQ(NVMERING_FEATURES_REQUIRED & ~(uint64_t)(NVME_RING_IO_F_MULTI_QUEUE |
		 NVME_RING_IO_F_CQE_STATUS), 0);

	fake_init(&f, 8, 8, 0);
	f.r.info.features = NVME_RING_IO_F_CQE_STATUS | NVME_RING_IO_F_SQ_POLL;
	CHECK(nvmering_has_features(&f.r, NVME_RING_IO_F_SQ_POLL), "has SQ_POLL");
	CHECK(nvmering_has_features(&f.r, NVME_RING_IO_F_SQ_POLL |
				    NVME_RING_IO_F_CQE_STATUS), "has both");
	CHECK(!nvmering_has_features(&f.r, NVME_RING_IO_F_SQ_POLL |
				     NVME_RING_IO_F_URING_CMD), "lacks one");
	CHECK(nvmering_has_features(&f.r, 0), "nothing asked");
	fake_free(&f);
}

static void test_version(void)
{
	/* the library linked in is the one whose header this is */
	CHECK_EQ(nvmering_version_major(), NVMERING_VERSION_MAJOR);
	CHECK_EQ(nvmering_version_minor(), NVMERING_VERSION_MINOR);
	CHECK_EQ(nvmering_version_patch(), NVMERING_VERSION_PATCH);
	/* this header has the pointer CQE iterator: 1.1 */
	CHECK(NVMERING_CHECK_VERSION(1, 1, 0), "1.1.0");
#if !NVMERING_CHECK_VERSION(1, 0, 0) || NVMERING_CHECK_VERSION(99, 0, 0)
	CHECK(0, "the macro works in #if");
#endif
	CHECK(NVMERING_CHECK_VERSION(NVMERING_VERSION_MAJOR, NVMERING_VERSION_MINOR,
				     NVMERING_VERSION_PATCH), "own version");
	CHECK(NVMERING_CHECK_VERSION(0, 99, 99), "older major");
	CHECK(NVMERING_CHECK_VERSION(NVMERING_VERSION_MAJOR,
				     NVMERING_VERSION_MINOR - 1, 99), "older minor");
	CHECK(!NVMERING_CHECK_VERSION(NVMERING_VERSION_MAJOR,
				      NVMERING_VERSION_MINOR,
				      NVMERING_VERSION_PATCH + 1), "newer patch");
	CHECK(!NVMERING_CHECK_VERSION(NVMERING_VERSION_MAJOR,
				      NVMERING_VERSION_MINOR + 1, 0), "newer minor");
	CHECK(!NVMERING_CHECK_VERSION(NVMERING_VERSION_MAJOR + 1, 0, 0),
	      "newer major");
}

static void test_status(void)
{
	static const struct { uint16_t st; const char *want; } t[] = {
		{ 0x0000, "Success" },
		{ 0x0001, "Invalid Command Opcode" },
		{ 0x0002, "Invalid Field in Command" },
		{ 0x0080, "LBA Out of Range" },
		{ 0x0081, "Capacity Exceeded" },
		{ 0x0280, "Write Fault" },
		{ 0x0281, "Unrecovered Read Error" },
		{ 0x0282, "End-to-end Guard Check Error" },
		{ 0x0284, "End-to-end Reference Tag Check Error" },
		{ 0x0285, "Compare Failure" },
		{ 0x0286, "Access Denied" },
		{ 0x0102, "Command Specific Error" },
		{ 0x0371, "Command Aborted By Host" },
		{ 0x4080, "LBA Out of Range" },		/* DNR set */
		{ 0x0700, "Vendor Specific or Unknown Status" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = nvmering_status_str(t[i].st);

		CHECK(got && !strcmp(got, t[i].want), "status 0x%04x: '%s', want '%s'",
		      t[i].st, got ? got : "(null)", t[i].want);
	}
	/* every value has some text */
	for (i = 0; i <= 0xffff; i += 7)
		CHECK(nvmering_status_str((uint16_t)i) != NULL, "status 0x%x", i);
}

/* The guard CRC and the PI tuples, both layouts, PI first and last. */
static void test_pi(void)
{
	uint8_t data[2 * (512 + 16)], meta[2 * 16];
	struct nvmering r = { 0 };
	unsigned int ext, first;

	CHECK_EQ(nvmering_crc_t10dif(0, "123456789", 9), 0xd0db);
	CHECK_EQ(nvmering_crc_t10dif(nvmering_crc_t10dif(0, "1234", 4),
				     "56789", 5), 0xd0db);

	r.info.lba_shift = 9;
	r.info.meta_size = 16;
	r.info.pi_size = 8;
	CHECK_EQ(nvmering_pi_generate(&r, data, meta, 0, 1, 0), -EINVAL);
	r.info.pi_type = 1;
	for (ext = 0; ext < 2; ext++) {
		for (first = 0; first < 2; first++) {
			uint8_t *tuple;

			r.info.meta_flags =
				(ext ? NVME_RING_META_F_EXTENDED : 0) |
				(first ? NVME_RING_META_F_PI_FIRST : 0);
			memset(data, 0x5a, sizeof(data));
			memset(meta, 0x33, sizeof(meta));
			CHECK_EQ(nvmering_pi_generate(&r, data, meta, 0x100000007ULL,
						      2, 0xbeef), 0);
			CHECK_EQ(nvmering_pi_verify(&r, data, meta, 0x100000007ULL,
						    2, 0xbeef), 0);
			/* block 1's tuple: reference tag 8, big-endian */
			tuple = (ext ? data + 2 * 512 + 16 : meta + 16) +
				(first ? 0 : 8);
			CHECK_EQ(tuple[7], 8);
			CHECK_EQ(tuple[2], 0xbe);
			/* a flipped data bit is the guard's to catch */
			data[ext ? 528 + 3 : 512 + 3] ^= 1;
			CHECK_EQ(nvmering_pi_verify(&r, data, meta, 0x100000007ULL,
						    2, 0xbeef), 2);
		}
	}
}

int main(void)
{
	static const uint32_t starts[] = {
		0, 1, 0x7fffffff, UINT32_MAX - 20, UINT32_MAX - 7, UINT32_MAX,
	};
	unsigned int i;

	test_layout();
	for (fake_line = 64; fake_line <= 128; fake_line *= 2) {
		for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
			test_sq_empty_full(starts[i]);
			test_sq_wrap(starts[i]);
			test_cq(starts[i]);
			test_roundtrip(starts[i]);
			test_sq_poll(starts[i]);
			test_cq_iter(starts[i]);
			test_garbage_indices(starts[i]);
		}
	}
	fake_line = 64;
	test_offsets();
	test_mmap_offsets();
	test_prep();
	test_pi();
	test_sqe();
	test_features();
	test_version();
	test_status();
	return check_done();
}
