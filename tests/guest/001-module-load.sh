#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: nvme_ring_io is loaded (or loads), and survives three rounds
# of rmmod + insmod with a clean kernel log.
# TOPOLOGY: any
# KERNELS: 6.1

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

[ -f "$NRI_KO" ] || fail "$NRI_KO is not in the image"
require_module
[ -d "/sys/module/$NRI_MODULE" ] || fail "/sys/module/$NRI_MODULE is missing after load"

for round in 1 2 3; do
	rmmod "$NRI_MODULE" || fail "round $round: rmmod failed"
	[ ! -d "/sys/module/$NRI_MODULE" ] || fail "round $round: /sys/module/$NRI_MODULE still there after rmmod"
	insmod "$NRI_KO" || fail "round $round: insmod $NRI_KO failed"
	[ -d "/sys/module/$NRI_MODULE" ] || fail "round $round: /sys/module/$NRI_MODULE missing after insmod"
	info "round $round: unloaded and loaded again"
done

grep -q "^$NRI_MODULE " /proc/modules || fail "$NRI_MODULE is not in /proc/modules"
info "$(grep "^$NRI_MODULE " /proc/modules)"
dmesg_clean
pass
