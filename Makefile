# SPDX-License-Identifier: GPL-2.0
#
# nvme_ring_io top-level Makefile. The module itself is described in Kbuild;
# this file drives the out-of-tree build, userspace, lint and the test VM.

# The kernel the module is built for. KVER= or KDIR=, on the command line
# or in the environment, name one; otherwise the running kernel when its
# headers are installed (/lib/modules/$(uname -r)/build); otherwise the
# Debian 6.12 kernel the test VM boots (TEST_KVER, build/kernel.mk). The
# test kernel is built in the tree (./nvme_ring_io.ko, which the VM
# takes); any other in build/module/<KVER>/ by scripts/build-module.sh,
# with the NVMe driver's private header from that kernel's own source.
# make check builds for the test kernels whatever is named here.
ASKED_KVER	:= $(KVER)
ASKED_KDIR	:= $(KDIR)

-include build/kernel.mk

ifeq ($(ASKED_KVER)$(ASKED_KDIR),)
RUNNING_KVER	:= $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(RUNNING_KVER)/build/Makefile),)
ASKED_KVER	:= $(RUNNING_KVER)
endif
endif
ifneq ($(ASKED_KDIR),)
override KDIR	:= $(ASKED_KDIR)
override KVER	:= $(or $(ASKED_KVER),$(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		     $(ASKED_KDIR)/include/generated/utsrelease.h 2>/dev/null))
else ifneq ($(ASKED_KVER),)
override KVER	:= $(ASKED_KVER)
override KDIR	:= $(TEST_KDIR)
ifneq ($(KVER),$(TEST_KVER))
override KDIR	:= $(firstword $(wildcard /lib/modules/$(KVER)/build /usr/src/linux-headers-$(KVER)))
endif
endif
# OTHER_KERNEL: built out of the tree, in build/module/$(KVER)
OTHER_KERNEL	:= $(if $(filter $(TEST_KVER),$(KVER)),$(if $(filter $(TEST_KDIR),$(KDIR)),,y),y)
MODULE_KO	:= $(if $(OTHER_KERNEL),build/module/$(KVER)/nvme_ring_io.ko,nvme_ring_io.ko)

BUILD		:= $(CURDIR)/build
KSRC_CACHE	:= $(BUILD)/ksrc
NVME_HOST_INC	:= $(KSRC_CACHE)/drivers/nvme/host

KBUILD_ARGS	= -C $(KDIR) M=$(CURDIR) CONFIG_NVME_RING_IO=m \
		  NVME_HOST_INC=$(NVME_HOST_INC)

.PHONY: fuzz soak check-debug all module userspace unit lint check demo demo-fabrics bench deps clean \
	install uninstall dkms-source deb

all: module

# the test kernel's facts, also as TEST_* (which the command line cannot
# override)
build/kernel.mk: scripts/kernel-env.sh
	@mkdir -p build
	@env -u NRI_KERNEL_ENV scripts/kernel-env.sh > $@.tmp && \
		sed 's/^/TEST_/' $@.tmp >> $@.tmp2 && cat $@.tmp2 >> $@.tmp && \
		rm $@.tmp2 && mv $@.tmp $@

$(KSRC_CACHE)/.stamp: build/kernel.mk
	scripts/extract-ksrc.sh $(KSRC_TAR) $(KSRC_CACHE)

# Several people may build in one tree at once: kbuild runs under a lock.
module: build/kernel.mk $(KSRC_CACHE)/.stamp
ifeq ($(OTHER_KERNEL),y)
	@[ -n "$(KVER)" ] && [ -n "$(KDIR)" ] || \
		{ echo "module: no headers for '$(KVER)' (install linux-headers-$(KVER), or give KDIR=)"; exit 1; }
	scripts/build-module.sh $(KVER) $(KDIR)
else
	flock $(BUILD)/.kbuild.lock $(MAKE) $(KBUILD_ARGS) modules
endif

# userspace/Makefile builds into build/userspace/{bin,lib}; a development
# build, where warnings are errors.
userspace:
	@if [ -f userspace/Makefile ]; then \
		$(MAKE) -C userspace DEVELOPER=1; \
	else \
		echo "userspace: no userspace/Makefile, nothing to build"; \
	fi

# Install on this machine (or into DESTDIR for a package): the module into
# /lib/modules/$(KVER)/updates/ (then depmod, without DESTDIR), and the
# library, its headers, pc file and man pages and nvme-ring under PREFIX
# (LIBDIR, INCLUDEDIR, SBINDIR, MANDIR too; see userspace/Makefile). The
# module is copied as built: unsigned and uncompressed, as DKMS does.
PREFIX		?= /usr/local
MODDIR		= $(DESTDIR)/lib/modules/$(KVER)/updates
install: module
	install -D -m 644 $(MODULE_KO) $(MODDIR)/nvme_ring_io.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	$(MAKE) -C userspace install PREFIX=$(PREFIX)

uninstall: build/kernel.mk
	rm -f $(MODDIR)/nvme_ring_io.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	$(MAKE) -C userspace uninstall PREFIX=$(PREFIX)

# The sources DKMS builds from: DESTDIR/usr/src/nvme-ring-io-<version>/
# with dkms.conf (then dkms add/build/install; see README).
NRI_VERSION	:= $(shell awk '/^\#define NVMERING_VERSION_(MAJOR|MINOR|PATCH)/ \
			{ printf "%s%s", s, $$3; s = "." }' userspace/lib/include/nvmering.h)
DKMS_DIR	= $(DESTDIR)/usr/src/nvme-ring-io-$(NRI_VERSION)
dkms-source:
	rm -rf $(DKMS_DIR)
	install -d $(DKMS_DIR)/scripts
	cp -r Kbuild Kconfig src configfs include $(DKMS_DIR)/
	find $(DKMS_DIR) \( -name '*.o' -o -name '*.cmd' -o -name '*.ko' \
		-o -name '*.mod*' \) -delete
	install -m 755 scripts/build-module.sh $(DKMS_DIR)/scripts/
	sed 's|@VERSION@|$(NRI_VERSION)|' dkms.conf.in > $(DKMS_DIR)/dkms.conf
	@echo "dkms-source: $(DKMS_DIR)"

# Debian packages, with Debian's tools (debhelper, dh-dkms), into build/deb/:
# nvme-ring-io-dkms, libnvmering1, libnvmering-dev, nvme-ring; then lintian.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -x -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/*.changes

# Host unit tests of the userspace code.
unit: userspace
	@if [ -f userspace/Makefile ] && grep -q '^test:' userspace/Makefile; then \
		$(MAKE) -C userspace test; \
	else \
		echo "unit: no 'test' target in userspace/Makefile, no unit tests"; \
	fi

# checkpatch, W=1, sparse and shellcheck; fails on any warning.
lint: build/kernel.mk $(KSRC_CACHE)/.stamp
	scripts/lint.sh

# Everything: builds, lint, unit tests, guest tests in the VM topologies,
# harness self-tests. The last line of output is the summary.
check: build/kernel.mk $(KSRC_CACHE)/.stamp
	@scripts/check.sh || $(CHECK_FAILED)

# After a failed recipe make prints "make: *** [...] Error 1", which would
# follow the summary. At the top level, stop make with SIGINT instead (exit
# status 130, no message), so the summary stays the last line of output.
# The sleep keeps this shell alive until make has handled the signal.
CHECK_FAILED = if [ "$(MAKELEVEL)" = 0 ]; then kill -INT $$PPID; sleep 1; else exit 1; fi

# Boot the VM and show the module and the NVMe/NUMA topology.
demo: deps
	$(MAKE) module userspace
	scripts/vm-test.sh --show tests/demo/demo.sh

# Rings beyond one machine: two VMs on a host-local network, one exporting
# its NVMe namespace with nvmet over TCP, the other running a ring on it
# (scripts/demo-fabrics.sh). Not in make check.
demo-fabrics: module userspace
	scripts/demo-fabrics.sh

# Benchmarks: tests/bench/*.sh, run in one VM boot. The null-co backend
# keeps the host's storage out of the figures; runs take minutes, not the
# tests' two. The guest reads the TSC for time (BENCH_CMDLINE): its default
# clock source under emulation, the HPET, makes every clock read a trip
# through QEMU's global lock. nvme_core.multipath=N makes the device-free
# nvme-loop namespace (ring-vs-uring-loop.sh) and the NVMe/TCP one
# (ring-vs-uring-tcp.sh) plain namespaces, which io_uring passthrough and
# the ring both reach directly. The host's perf,
# when it has one, goes into the guest for the profile.
# The host also records the CPU its vCPU threads use in each run
# (VM_HOST_CPU, scripts/bench-host-cpu.sh): under TCG the guest counts as
# busy the time a vCPU waits for QEMU's global lock.
BENCH_CMDLINE ?= clocksource=tsc tsc=reliable nvme_core.multipath=N
bench: module userspace
	@set -- tests/bench/*.sh; \
	if [ ! -f "$$1" ]; then \
		echo "bench: SKIPPED: no benchmark scripts in tests/bench/"; \
	else \
		mkdir -p build/bench; \
		VM_NVME_BACKEND=$${VM_NVME_BACKEND:-null} \
		TEST_TIMEOUT=$${TEST_TIMEOUT:-1800} \
		VM_KERNEL_CMDLINE_EXTRA="$(BENCH_CMDLINE) $${VM_KERNEL_CMDLINE_EXTRA:-}" \
		VM_EXTRA_BINS="$${VM_EXTRA_BINS-$$(command -v perf || true)}" \
		VM_HOST_CPU=build/bench/host-cpu.txt \
		VM_NVME_META="$${VM_NVME_META-ms=8,mset=0}" \
		scripts/vm-test.sh --show "$$@"; rc=$$?; \
		scripts/bench-host-cpu.sh build/bench/host-cpu.txt; \
		exit $$rc; \
	fi

# A long fuzzing run: tests/guest/130-fuzz.sh until every entry point has
# had FUZZ_INPUTS inputs, on the debug kernel (scripts/debug-kernel.sh,
# built once); FUZZ_KERNEL=stock runs it on the Debian kernel. FUZZ_JOBS
# fuzzers share the inputs, each on a queue of its own, so that every
# host CPU works (and the kernel sees them race). make check runs 300
# rounds with one.
FUZZ_INPUTS ?= 100000
FUZZ_KERNEL ?= debug
FUZZ_JOBS ?= 2
fuzz: module userspace
	env=; \
	if [ "$(FUZZ_KERNEL)" = debug ]; then \
		scripts/debug-kernel.sh >/dev/null && \
		env=$$(ls "$$PWD"/build/debug-kernel/*/env) || exit 1; \
	fi; \
	NRI_KERNEL_ENV=$$env NRI_FUZZ_INPUTS=$(FUZZ_INPUTS) NRI_FUZZ_JOBS=$(FUZZ_JOBS) \
		TEST_TIMEOUT=$${TEST_TIMEOUT:-86400} \
		scripts/vm-test.sh --show tests/guest/130-fuzz.sh

# The guest tests of make check on a kernel built to catch bugs (KASAN,
# lockdep, DEBUG_ATOMIC_SLEEP, kmemleak after every test), then a fuzzing
# run on it; what does not depend on the kernel (lint, the 6.1 build, the
# host checks, the harness self-tests, the boots of stock kernels) is make
# check's.
# CHECK_SHARD=K/N runs part K of N (scripts/check.sh; the fuzzing run in
# part N), to run the hours it takes in parts, one after another.
# The kernel is built once by scripts/debug-kernel.sh and cached in
# build/debug-kernel/. Slow; not in CI. A test may take 40 minutes
# there (252-alloc-faults fails each of several hundred allocations in
# turn, a couple of seconds each); the kernel's hung-task detector
# reports a real hang long before.
DEBUG_FUZZ_ROUNDS ?= 2000
check-debug: userspace
	scripts/debug-kernel.sh >/dev/null
	env=$$(ls build/debug-kernel/*/env) || exit 1; \
	NRI_KERNEL_ENV=$$env TEST_TIMEOUT=$${TEST_TIMEOUT:-2400} \
		CHECK_VM_TIMEOUT=$${CHECK_VM_TIMEOUT:-10800} scripts/check.sh || exit 1; \
	shard=$${CHECK_SHARD:-1/1}; \
	if [ "$${shard%/*}" != "$${shard#*/}" ]; then \
		echo "check-debug: the fuzzing run is in the last part of CHECK_SHARD"; \
	else \
		NRI_KERNEL_ENV=$$env NRI_FUZZ_ROUNDS=$(DEBUG_FUZZ_ROUNDS) \
			TEST_TIMEOUT=$${TEST_TIMEOUT:-3600} \
			scripts/vm-test.sh tests/guest/130-fuzz.sh; \
	fi

# A long soak (tests/guest/138-soak.sh for SOAK_SECONDS) in a 2-node VM;
# make check runs a minute of it.
SOAK_SECONDS ?= 7200
soak: module userspace
	NRI_SOAK_SECONDS=$(SOAK_SECONDS) \
		TEST_TIMEOUT=$${TEST_TIMEOUT:-$$(($(SOAK_SECONDS) + 600))} \
		scripts/vm-test.sh --show tests/guest/138-soak.sh

deps:
	scripts/install-deps.sh --fio

clean:
	-[ -z "$(KDIR)" ] || flock $(BUILD)/.kbuild.lock $(MAKE) $(KBUILD_ARGS) clean
	-[ ! -f userspace/Makefile ] || $(MAKE) -C userspace clean
	rm -rf build
