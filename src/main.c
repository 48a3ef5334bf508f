// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_ring_io: shared-memory rings for NVMe passthrough.
 *
 * Module setup: the device class, the character device region for named
 * rings, the /dev/nvme_ring_io misc device for anonymous rings, the worker
 * queue for remote submission, and the configfs subsystem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io_uring.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/workqueue.h>

#include "nri.h"

#define NRI_MINORS	BIT(MINORBITS)

dev_t nri_devt;
struct workqueue_struct *nri_wq;
static DEFINE_IDA(nri_minor_ida);

int nri_minor_get(void)
{
	return ida_alloc_max(&nri_minor_ida, NRI_MINORS - 1, GFP_KERNEL);
}

void nri_minor_put(int minor)
{
	ida_free(&nri_minor_ida, minor);
}

static struct miscdevice nri_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= NVME_RING_IO_MISC_NAME,
	.fops	= &nri_fops,
	.mode	= 0600,
};

/*
 * The uapi's sizes are the ABI: they may only grow into reserved fields,
 * never change. The io_uring payloads must fit the SQE's command area (16
 * bytes in a 64-byte SQE, 80 in a 128-byte one).
 */
static void __init nri_check_uapi(void)
{
	const size_t cmd_area = sizeof(struct io_uring_sqe) -
				offsetof(struct io_uring_sqe, cmd);

	BUILD_BUG_ON(sizeof(struct nvme_ring_offsets) != 32);
	BUILD_BUG_ON(sizeof(struct nvme_ring_layout) != 96);
	BUILD_BUG_ON(sizeof(struct nvme_ring_slot) != NVME_RING_SLOT_SIZE);
	BUILD_BUG_ON(sizeof(struct nvme_ring_cqe) != 16);
	BUILD_BUG_ON(sizeof(struct nvme_ring_setup) != 64);
	BUILD_BUG_ON(sizeof(struct nvme_ring_submit) != 16);
	BUILD_BUG_ON(sizeof(struct nvme_ring_complete) != 32);
	BUILD_BUG_ON(sizeof(struct nvme_ring_stats) != 128);
	BUILD_BUG_ON(sizeof(struct nvme_ring_info) != 384);
	BUILD_BUG_ON(sizeof(struct nvme_ring_queue_info) != 344);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_kick) != 16);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_wait) != 16);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_cmd) != 80);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_kick) > cmd_area);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_wait) > cmd_area);
	BUILD_BUG_ON(sizeof(struct nvme_ring_uring_cmd) >
		     cmd_area + sizeof(struct io_uring_sqe));
	BUILD_BUG_ON(sizeof_field(struct nvme_ring_slot, cmd) !=
		     sizeof(struct nvme_command));
	/* read with nri_copy_once(), a word at a time */
	BUILD_BUG_ON(sizeof(struct nvme_ring_slot) % sizeof(u64));
	BUILD_BUG_ON(offsetof(struct nvme_ring_uring_cmd, cmd) % sizeof(u64) ||
		     offsetof(struct io_uring_sqe, cmd) % sizeof(u64));
	/* a region fits its stride; the last one ends below 2^44 (mmap2) */
	BUILD_BUG_ON(NVME_RING_IO_MAX_DATA_SIZE + NRI_MAX_HDR_SIZE >
		     NVME_RING_IO_MMAP_STRIDE);
	BUILD_BUG_ON(NVME_RING_IO_MAX_QUEUES * NVME_RING_IO_MMAP_STRIDE >
		     BIT_ULL(32 + 12));
}

static int __init nvme_ring_io_init(void)
{
	int ret;

	nri_check_uapi();
	nri_stats_init();

	ret = alloc_chrdev_region(&nri_devt, 0, NRI_MINORS, "nvme_ring");
	if (ret)
		return ret;

	ret = class_register(&nri_class);
	if (ret)
		goto out_chrdev;

	/* per-CPU (bound) workers: remote submission runs on a queue's CPU */
	nri_wq = alloc_workqueue("nvme_ring_io", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!nri_wq) {
		ret = -ENOMEM;
		goto out_class;
	}

	ret = misc_register(&nri_misc);
	if (ret)
		goto out_wq;

	ret = nri_configfs_init();
	if (ret)
		goto out_misc;

	pr_info("loaded, ABI version %d\n", NVME_RING_IO_ABI_VERSION);
	return 0;

out_misc:
	misc_deregister(&nri_misc);
out_wq:
	destroy_workqueue(nri_wq);
out_class:
	class_unregister(&nri_class);
out_chrdev:
	unregister_chrdev_region(nri_devt, NRI_MINORS);
	return ret;
}

static void __exit nvme_ring_io_exit(void)
{
	nri_configfs_exit();
	misc_deregister(&nri_misc);
	/* paths let go of by killing their reference may still queue work */
	rcu_barrier();
	destroy_workqueue(nri_wq);
	class_unregister(&nri_class);
	unregister_chrdev_region(nri_devt, NRI_MINORS);
	ida_destroy(&nri_minor_ida);
	/* mappings may legitimately keep pages; rings must all be gone */
	if (atomic_read(&nri_rings_alive) || atomic_long_read(&nri_pages_alive))
		pr_err("unloaded with %d ring(s) and %ld page(s) of ring memory still held\n",
		       atomic_read(&nri_rings_alive),
		       atomic_long_read(&nri_pages_alive));
	else
		pr_info("unloaded\n");
}

module_init(nvme_ring_io_init);
module_exit(nvme_ring_io_exit);

MODULE_DESCRIPTION("Shared-memory rings for NVMe passthrough");
MODULE_AUTHOR("nvme_ring_io developers");
MODULE_LICENSE("GPL");
