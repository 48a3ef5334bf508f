// SPDX-License-Identifier: GPL-2.0
/*
 * nri-fuzz: throw random and malformed input at every entry point of
 * nvme_ring_io, for a number of rounds or until every entry point has had
 * a number of inputs:
 *
 *   ioctl     random commands and argument bytes on a ring's file and on
 *             /dev/nvme_ring_io
 *   setup     SETUP with random sizes, flags and fds
 *   mmap      random offsets, lengths, protections and flags
 *   ring      random SQ descriptors, slot contents, producer and consumer
 *             indices, SUBMIT and COMPLETE while commands run
 *   uring     random io_uring commands (cmd_op and payload) on the ring
 *   configfs  random strings into every attribute of a scratch ring
 *   cfgrace   the same from one process while another enables and
 *             disables the scratch ring
 *   maprace   a second process maps, touches, drops (MADV_DONTNEED) and
 *             unmaps the ring's queues while this one does I/O on them
 *
 * An input is one call or one value the kernel sees: an ioctl, a SETUP,
 * an mmap, an SQ descriptor (and each index scribbled on), an io_uring
 * command, an attribute write, a map/drop/unmap of the racing process.
 * The counts per entry point are printed at the end.
 *
 * Usage: nri-fuzz [--rounds N | --inputs N] [--seed S] RING NSDEV
 * --inputs N runs until every entry point has had at least N inputs.
 * RING must confine writes to an LBA window it is free to destroy. The
 * program checks nothing but its own survival; the test around it checks
 * the kernel log, the ring's health and the module's unload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include "nvmering.h"
#include "clock.h"
#include "nvme-cmd.h"
#include "rng.h"

static struct rng rng;

enum { F_IOCTL, F_SETUP, F_MMAP, F_RING, F_URING, F_CONFIGFS, F_CFGRACE,
       F_MAPRACE, F_NR };
static const char *const fuzz_names[F_NR] = {
	"ioctl", "setup", "mmap", "ring", "uring", "configfs", "cfgrace",
	"maprace",
};
static unsigned long inputs[F_NR];
static uint64_t spent_ns[F_NR];	/* time in each entry point's rounds */

static uint64_t rnd(void)
{
	return rng_next(&rng);
}

static uint64_t pick(uint64_t n)
{
	return rng_below(&rng, n);
}

/* Interesting values for a 64-bit field. */
static uint64_t edgy(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 64, 127, 128, 4095, 4096, 65535, 1ULL << 20,
		1ULL << 21, 1ULL << 30, 1ULL << 31, 1ULL << 32, 1ULL << 40,
		0x7fffffffULL, 0xffffffffULL, ~0ULL, ~0ULL - 127, 1ULL << 63,
	};

	if (pick(3))
		return v[pick(sizeof(v) / sizeof(v[0]))];
	return rnd();
}

static const unsigned long ring_cmds[] = {
	NVME_RING_IO_SETUP, NVME_RING_IO_SUBMIT, NVME_RING_IO_COMPLETE,
	NVME_RING_IO_GET_INFO, NVME_RING_IO_SET_QUEUE,
	NVME_RING_IO_GET_QUEUE_INFO,
};

/* A random ioctl; COMPLETE never waits long, so the fuzzer keeps moving. */
static void fuzz_ioctl(int fd)
{
	union {
		uint8_t raw[512];
		struct nvme_ring_complete c;
	} buf;
	unsigned long cmd;
	void *arg;

	rng_bytes(&rng, &buf, sizeof(buf));
	switch (pick(4)) {
	case 0:
		cmd = _IOC(pick(4), NVME_RING_IO_MAGIC, pick(32), pick(600));
		break;
	case 1:
		cmd = (unsigned long)rnd();
		break;
	default:
		cmd = ring_cmds[pick(sizeof(ring_cmds) / sizeof(ring_cmds[0]))];
		break;
	}
	if (_IOC_NR(cmd) == _IOC_NR(NVME_RING_IO_COMPLETE) &&
	    _IOC_TYPE(cmd) == NVME_RING_IO_MAGIC)
		buf.c.timeout_ms = (uint32_t)pick(3);
	switch (pick(5)) {
	case 0: arg = NULL; break;
	case 1: arg = (void *)(uintptr_t)edgy(); break;
	default: arg = &buf; break;
	}
	if (pick(3) == 0)
		memset(&buf, 0, sizeof(buf));
	ioctl(fd, cmd, arg);
	inputs[F_IOCTL]++;
}

static void fuzz_setup(int nvme_fd)
{
	struct nvme_ring_setup s;
	int fd = open("/dev/" NVME_RING_IO_MISC_NAME, O_RDWR);
	int i, other = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	rng_bytes(&rng, &s, sizeof(s));
	if (pick(2)) {
		memset(s.resv, 0, sizeof(s.resv));
		s.flags &= NVME_RING_SETUP_F_NUMA_NODE | NVME_RING_SETUP_F_HUGEPAGES;
	}
	s.sq_entries = pick(2) ? 1U << pick(17) : (uint32_t)edgy();
	s.cq_entries = pick(2) ? 1U << pick(17) : (uint32_t)edgy();
	s.data_size = pick(2) ? pick(8) << 20 : edgy();
	switch (pick(4)) {
	case 0: s.nvme_fd = nvme_fd; break;
	case 1: s.nvme_fd = other; break;
	case 2: s.nvme_fd = fd; break;
	default: s.nvme_fd = (int)rnd(); break;
	}
	s.uring_fd = pick(2) ? -1 : (int)rnd();
	s.numa_node = pick(2) ? (int)pick(4) - 1 : (int)rnd();
	ioctl(fd, NVME_RING_IO_SETUP, &s);
	inputs[F_SETUP]++;
	for (i = 0; i < 8; i++)
		fuzz_ioctl(fd);
	if (other >= 0)
		close(other);
	close(fd);
}

static void fuzz_mmap(int fd, const struct nvmering *r)
{
	uint64_t off, len;
	int prot = PROT_READ | (pick(2) ? PROT_WRITE : 0);
	int flags = pick(4) ? MAP_SHARED : MAP_PRIVATE;
	uint8_t *m;

	switch (pick(3)) {
	case 0:
		off = pick(r->info.nr_queues + 2) * NVME_RING_IO_MMAP_STRIDE +
		      (pick(r->map_size / 4096 + 2) << 12);
		break;
	case 1:
		off = edgy() & ~4095ULL;
		break;
	default:
		off = 0;
		break;
	}
	len = pick(2) ? (pick(r->map_size / 4096 + 4) + 1) << 12 : edgy();
	if (!len || len > (1ULL << 34))
		len = 4096;
	m = mmap(NULL, len, prot, flags, fd, (off_t)off);
	inputs[F_MMAP]++;
	if (m == MAP_FAILED)
		return;
	/* it mapped: every byte must be there */
	(void)*(volatile uint8_t *)m;
	(void)*(volatile uint8_t *)(m + len - 1);
	munmap(m, len);
}

/* Random but half-plausible commands in random slots, random indices. */
static void fuzz_ring(struct nvmering *r)
{
	static const uint8_t opcodes[] = {
		0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x09, 0x19, 0x06, 0x7f,
		0xff,
	};
	uint32_t nslots = 64, n = (uint32_t)pick(40) + 1, i;
	struct nvme_ring_cqe cq[64];

	for (i = 0; i < n; i++) {
		uint64_t slot = nvmering_slot_off(r, (uint32_t)pick(nslots));
		struct nvme_ring_slot *s = nvmering_slot(r, slot);
		uint64_t desc = slot;

		if (pick(4) == 0)
			rng_bytes(&rng, s, sizeof(*s));
		else {
			uint32_t nlb = (uint32_t)pick(16) + 1;
			uint64_t lba = r->info.lba_start +
				       (pick(8) ? pick(r->info.lba_count) : edgy());

			nvmering_prep_rw(r, slot, opcodes[pick(sizeof(opcodes))],
					 nvmering_buf_off(r, nslots, (uint32_t)pick(32), 8192),
					 lba, nlb);
			if (pick(4) == 0)
				s->data_off = edgy();
			if (pick(4) == 0)
				s->data_len = (uint32_t)edgy();
			if (pick(8) == 0)
				s->cmd[pick(64)] = (uint8_t)rnd();
			if (pick(16) == 0)
				s->timeout_ms = (uint32_t)pick(5000);
		}
		if (pick(8) == 0)
			desc = edgy();
		if (nvmering_sq_push(r, desc))
			break;
		inputs[F_RING]++;
	}
	switch (pick(10)) {
	case 0:		/* a producer from nowhere */
		*r->sq_prod = (uint32_t)rnd();
		inputs[F_RING]++;
		break;
	case 1:		/* a consumer from nowhere */
		*r->cq_cons = (uint32_t)rnd();
		inputs[F_RING]++;
		break;
	case 2:		/* scribble on the kernel's indices and flags */
		*r->sq_cons = (uint32_t)rnd();
		*r->cq_prod = (uint32_t)rnd();
		*r->sq_flags = (uint32_t)rnd();
		inputs[F_RING] += 3;
		break;
	default:
		nvmering_sq_publish(r);
		break;
	}
	nvmering_submit(r, (uint32_t)pick(3) * (uint32_t)pick(40));
	nvmering_wait(r, (uint32_t)pick(4), (uint32_t)pick(3));
	while ((n = nvmering_peek_cqes(r, cq, 64)) != 0 && n <= 64)
		nvmering_cq_advance(r, n);
}

/* Put the indices back in order: take the queue over again. */
static void repair_ring(struct nvmering *r, const char *name, uint32_t q)
{
	nvmering_close(r);
	if (nvmering_open(r, name, (int)q))
		exit(3);
}

static void fuzz_uring(struct nvmering *r)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_nsec = 20000000 };
	unsigned int i, n = (unsigned int)pick(8) + 1;
	int ret;
	unsigned int flags = pick(2) ? IORING_SETUP_SQE128 | IORING_SETUP_CQE32 : 0;

	if (io_uring_queue_init(16, &ring, flags))
		return;
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		size_t sz = flags ? 2 * sizeof(*sqe) : sizeof(*sqe);

		if (!sqe)
			break;
		memset(sqe, 0, sz);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = r->fd;
		switch (pick(4)) {
		case 0: sqe->cmd_op = NVME_RING_IO_URING_KICK; break;
		case 1: sqe->cmd_op = NVME_RING_IO_URING_WAIT_CQ; break;
		case 2: sqe->cmd_op = NVME_RING_IO_URING_CMD; break;
		default: sqe->cmd_op = (uint32_t)rnd(); break;
		}
		rng_bytes(&rng, sqe->cmd, flags ? 80 : 16);
		if (sqe->cmd_op == NVME_RING_IO_URING_CMD && pick(2)) {
			/* a plausible read inside the window */
			struct nvme_ring_uring_cmd *c = (void *)sqe->cmd;
			uint64_t lba = r->info.lba_start + pick(r->info.lba_count);

			memset(c, 0, sizeof(*c));
			nvmering_sqe_rw(nvme_sqe(c->cmd), NVME_OPC_READ, lba, 1);
			c->data_off = nvmering_buf_off(r, 64, (uint32_t)pick(32), 8192);
			c->data_len = 1U << r->info.lba_shift;
		}
		if (sqe->cmd_op == NVME_RING_IO_URING_WAIT_CQ && pick(2))
			memset(sqe->cmd, 0, 16);
	}
	ret = io_uring_submit(&ring);
	if (ret > 0)
		inputs[F_URING] += (unsigned long)ret;
	for (i = 0; i < n; i++) {
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			break;
		io_uring_cqe_seen(&ring, cqe);
	}
	/* waiters still pending are cancelled here */
	io_uring_queue_exit(&ring);
}

static const char *const attrs[] = {
	"device", "cpus", "numa_node", "nr_queues", "sq_entries", "cq_entries",
	"data_size", "hugepages", "uid", "gid", "mode", "lba_start",
	"lba_count", "opcodes", "sq_poll", "sq_poll_idle_ms", "poll",
	"directives", "pi_check", "timeout_min_ms", "timeout_max_ms",
	"teardown_timeout_ms", "enable",
};

static void write_attr(const char *dir, const char *attr, const char *val,
		       size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, val, len) < 0) {
		/* refused: that is the point */
	}
	close(fd);
}

/* Random strings into every attribute of a scratch ring. */
static void fuzz_configfs(const char *nsdev, int race)
{
	static const char *const words[] = {
		/*
		 * no 1G: every later enable of the scratch ring would build
		 * up to 4 GiB in a 2 GiB guest, seconds each on a debug
		 * kernel (that ENOMEM is 139's and 252's); 2G is refused
		 */
		"0", "1", "-1", "2", "0-3", "0,2", "65536", "4096", "4M", "64M",
		"2G",
		"99999999999999999999", "0x7f", "read,write", "read,,write",
		"\n", "", " ", "0777", "01777", "y", "n", "on", "-", "1-0",
		"4294967296", "18446744073709551615", "/dev/nvme0n1",
		"/dev/nonexistent", "../../..", "1T", "0x", "00",
		"0x81:4096", "0x82:ndt", "0x80:0", "0x83:4", "read:8", "copy",
		"read,0x81", "1000", "86400000", "999",
	};
	char dir[96];
	char val[512];
	pid_t toggler = -1;
	int i, k;

	/* one scratch ring per fuzzer: several may run at once */
	snprintf(dir, sizeof(dir), "/sys/kernel/config/nvme_ring_io/nri-fuzz-%d",
		 (int)getpid());
	if (mkdir(dir, 0755) && errno != EEXIST)
		return;
	write_attr(dir, "device", nsdev, strlen(nsdev));
	/* cfgrace: another process enables and disables it meanwhile */
	if (race) {
		toggler = fork();
		if (toggler == 0) {
			/* a few: an enable may build a ring of 1 GiB a queue */
			for (k = 0; k < 3; k++) {
				write_attr(dir, "enable", "1", 1);
				write_attr(dir, "enable", "0", 1);
			}
			_exit(0);
		}
	}
	/*
	 * 40 writes; under cfgrace, writes go on for as long as the toggler
	 * enables and disables (up to 4000), so that every enable races
	 * writes and the count does not hang on how slow an enable is.
	 */
	for (i = 0; i < 40 || (toggler > 0 && i < 4000); i++) {
		const char *a = attrs[pick(sizeof(attrs) / sizeof(attrs[0]))];
		size_t len;

		if (i >= 40 && waitpid(toggler, NULL, WNOHANG) == toggler) {
			toggler = -1;
			break;
		}

		/* no random device paths: they could open anything */
		switch (strcmp(a, "device") ? pick(3) : 0) {
		case 0:
			snprintf(val, sizeof(val), "%s", words[pick(sizeof(words) / sizeof(words[0]))]);
			len = strlen(val);
			break;
		case 1:
			len = pick(sizeof(val));
			rng_bytes(&rng, val, len);
			break;
		default:
			len = pick(24);
			for (k = 0; k < (int)len; k++)
				val[k] = "0123456789abcdefx-,/ \n"[pick(22)];
			break;
		}
		write_attr(dir, a, val, len);
		inputs[race ? F_CFGRACE : F_CONFIGFS]++;
		if (!strcmp(a, "enable"))
			write_attr(dir, "enable", "0", 1);
	}
	if (toggler > 0)
		waitpid(toggler, NULL, 0);
	write_attr(dir, "enable", "0", 1);
	rmdir(dir);
}

/*
 * A length of 1 to @max bytes in pages, log-uniform: as many short maps
 * (the rings and the first buffers, where the I/O is) as long ones, which
 * cost a page table entry a page on every map and drop.
 */
static uint64_t map_len(uint64_t max)
{
	uint64_t pages = max / 4096, span;
	unsigned int bits = 0;

	while ((2ULL << bits) <= pages)
		bits++;
	span = 1ULL << pick(bits + 2);
	if (span > pages)
		span = pages;
	return (pick(span) + 1) << 12;
}

/*
 * maprace: a child maps the ring's queues (random queue, length, offset
 * within), touches, drops (MADV_DONTNEED) and unmaps them in a loop while
 * this process reads through the ring; the kernel's own mapping of the
 * pages, which the device uses, must not care.
 */
static void fuzz_maprace(struct nvmering *r)
{
	uint32_t i, n = 32, done = 0, maps = 200;
	pid_t child;

	child = fork();
	if (child < 0)
		return;
	if (child == 0) {
		for (i = 0; i < maps; i++) {
			uint64_t q = pick(r->info.nr_queues);
			uint64_t len = map_len(r->map_size);
			uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					  MAP_SHARED, r->fd,
					  (off_t)(q * NVME_RING_IO_MMAP_STRIDE));

			if (m == MAP_FAILED)
				continue;
			(void)*(volatile uint8_t *)(m + pick(len));
			madvise(m, len, pick(2) ? MADV_DONTNEED : MADV_WILLNEED);
			(void)*(volatile uint8_t *)(m + pick(len));
			munmap(m, len);
		}
		_exit(0);
	}
	for (i = 0; i < n && nvmering_sq_space(r); i++) {
		uint64_t slot = nvmering_slot_off(r, i);
		uint64_t lba = r->info.lba_start + pick(r->info.lba_count);

		nvmering_prep_read(r, slot, nvmering_buf_off(r, n, i, 4096),
				   lba, 1);
		nvmering_sq_push(r, slot);
	}
	n = i;
	if (nvmering_submit(r, 0) >= 0) {
		while (done < n && !nvmering_wait(r, 1, 1000)) {
			uint32_t k = nvmering_cq_ready(r);

			nvmering_cq_advance(r, k);
			done += k;
		}
	}
	waitpid(child, NULL, 0);
	inputs[F_MAPRACE] += maps;
}

/* The entry point of each of 12 equally likely draws. */
static const int draws[12] = {
	F_IOCTL, F_IOCTL, F_SETUP, F_MMAP, F_RING, F_RING, F_RING, F_URING,
	F_URING, F_CONFIGFS, F_CFGRACE, F_MAPRACE,
};

static bool below(unsigned long target)
{
	int f;

	for (f = 0; f < F_NR; f++) {
		if (inputs[f] < target)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rounds", 1, NULL, 'n' }, { "seed", 1, NULL, 's' },
		{ "inputs", 1, NULL, 'i' }, { NULL, 0, NULL, 0 },
	};
	unsigned long rounds = 200, target = 0, i;
	uint64_t seed = 0;
	struct nvmering r;
	int c, nvme_fd, ret;
	uint32_t q;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': rounds = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'i': target = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind + 2 != argc)
		goto usage;
	rng_seed(&rng, seed);
	signal(SIGPIPE, SIG_IGN);
	nvme_fd = open(argv[optind + 1], O_RDWR);
	if (nvme_fd < 0) {
		perror(argv[optind + 1]);
		return 1;
	}
	ret = nvmering_open(&r, argv[optind], -1);
	if (ret) {
		fprintf(stderr, "nri-fuzz: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	q = r.queue;
	for (i = 0; target ? below(target) : i < rounds; i++) {
		int f = draws[pick(12)];

		/* --inputs: the entry points that have had enough rest */
		uint64_t t0;

		if (target && inputs[f] >= target) {
			i--;
			continue;
		}
		t0 = now_ns();
		switch (f) {
		case F_IOCTL:
			fuzz_ioctl(r.fd);
			/* SET_QUEUE may have moved the file: map what it says */
			repair_ring(&r, argv[optind], q);
			break;
		case F_SETUP:
			fuzz_setup(nvme_fd);
			break;
		case F_MMAP:
			fuzz_mmap(r.fd, &r);
			break;
		case F_RING:
			fuzz_ring(&r);
			if (pick(4) == 0)
				repair_ring(&r, argv[optind], q);
			break;
		case F_URING:
			fuzz_uring(&r);
			break;
		case F_CONFIGFS:
			fuzz_configfs(argv[optind + 1], 0);
			break;
		case F_CFGRACE:
			fuzz_configfs(argv[optind + 1], 1);
			break;
		default:
			repair_ring(&r, argv[optind], q);
			fuzz_maprace(&r);
			repair_ring(&r, argv[optind], q);
			break;
		}
		spent_ns[f] += now_ns() - t0;
	}
	repair_ring(&r, argv[optind], q);
	nvmering_close(&r);
	close(nvme_fd);
	printf("nri-fuzz: %lu rounds survived; inputs (seconds):", i);
	for (c = 0; c < F_NR; c++)
		printf(" %s %lu (%.1f)", fuzz_names[c], inputs[c],
		       (double)spent_ns[c] / 1e9);
	printf("\n");
	return 0;
usage:
	fprintf(stderr, "usage: nri-fuzz [--rounds N | --inputs N] [--seed S] RING NSDEV\n");
	return 2;
}
