# SPDX-License-Identifier: GPL-2.0
#
# nvme_ring_io top-level Makefile. The module itself is described in Kbuild;
# this file drives the out-of-tree build, userspace, lint and the test VM.

-include build/kernel.mk

BUILD		:= $(CURDIR)/build
KSRC_CACHE	:= $(BUILD)/ksrc
NVME_HOST_INC	:= $(KSRC_CACHE)/drivers/nvme/host

KBUILD_ARGS	= -C $(KDIR) M=$(CURDIR) CONFIG_NVME_RING_IO=m \
		  NVME_HOST_INC=$(NVME_HOST_INC)

.PHONY: all module deps clean

all: module

build/kernel.mk: scripts/kernel-env.sh
	@mkdir -p build
	@scripts/kernel-env.sh > $@.tmp && mv $@.tmp $@

$(KSRC_CACHE)/.stamp: build/kernel.mk
	scripts/extract-ksrc.sh $(KSRC_TAR) $(KSRC_CACHE)

module: build/kernel.mk $(KSRC_CACHE)/.stamp
	$(MAKE) $(KBUILD_ARGS) modules

deps:
	scripts/install-deps.sh

clean:
	-[ -z "$(KDIR)" ] || $(MAKE) $(KBUILD_ARGS) clean
	rm -rf build
