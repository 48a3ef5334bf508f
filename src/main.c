// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: shared-memory rings for NVMe passthrough.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/nvme_ring_io.h>

static int __init nvme_ring_io_init(void)
{
	pr_info("loaded, ABI version %d\n", NVME_RING_IO_ABI_VERSION);
	return 0;
}

static void __exit nvme_ring_io_exit(void)
{
	pr_info("unloaded\n");
}

module_init(nvme_ring_io_init);
module_exit(nvme_ring_io_exit);

MODULE_DESCRIPTION("Shared-memory rings for NVMe passthrough");
MODULE_AUTHOR("nvme_ring_io developers");
MODULE_LICENSE("GPL");
