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
#include <linux/miscdevice.h>
#include <linux/module.h>
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
	.fops	= &nri_misc_fops,
	.mode	= 0600,
};

static int __init nvme_ring_io_init(void)
{
	int ret;

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
MODULE_IMPORT_NS(NVME_TARGET_PASSTHRU);
