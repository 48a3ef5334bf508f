// SPDX-License-Identifier: GPL-2.0
/*
 * nri_warn: a test-only module that triggers one kernel warning when it is
 * loaded. The harness self-tests load it in the test VM to prove that a
 * warning in the kernel log fails the test during which it appeared.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>

static int __init nri_warn_init(void)
{
	pr_info("triggering a warning on purpose\n");
	WARN_ON_ONCE(1);
	return 0;
}

static void __exit nri_warn_exit(void)
{
}

module_init(nri_warn_init);
module_exit(nri_warn_exit);

MODULE_DESCRIPTION("Harness self-test: warns once on load");
MODULE_LICENSE("GPL");
