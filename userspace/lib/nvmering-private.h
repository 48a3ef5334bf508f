/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libnvmering internals shared with its unit tests (userspace/tests), not
 * installed and not exported from the shared library.
 */
#ifndef _NVMERING_PRIVATE_H
#define _NVMERING_PRIVATE_H

#include "nvmering.h"

/*
 * Point r's members into the queue region at map, whose layout is
 * r->qinfo.layout, for r->info's SQ and CQ sizes. The indices are left as
 * they are.
 */
void nvmering__set_region(struct nvmering *r, void *map);

#endif /* _NVMERING_PRIVATE_H */
