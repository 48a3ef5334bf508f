#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: resource exhaustion at enable: with every free 2 MiB page
# of node 0 taken (by hugetlbfs), a ring with hugepages=1 on that node
# fails to enable with ENOMEM and a log line naming the node, holds
# nothing afterwards, and enables once the pages are back.
. "$(dirname "$0")/lib.sh"

ring_test nri-io
hp=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
[ -w "$hp" ] || skip "no per-node hugetlb control for node 0"
cleanup_rings nh
# shellcheck disable=SC2317 # called through the trap
restore() {
	echo 0 >"$hp"
	nri_cleanup_rings
}
trap restore EXIT

ring_make nh numa_node=0 cpus="$(node_cpus 0 | head -n 1)" hugepages=1 data_size=4M
sync
echo 3 >/proc/sys/vm/drop_caches
echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
# hugetlbfs takes every 2 MiB page it can get on node 0
echo 100000 >"$hp"
info "hugetlbfs took $(cat "$hp") 2 MiB pages of node 0"
[ "$(cat "$hp")" -gt 0 ] || skip "no 2 MiB page to take on node 0"
dmesg -c >/dev/null
expect_write_fail 1 "$NRI_CFS/nh/enable"
dmesg | grep -q "nh: queue 0: no 2 MiB page free on node 0 (hugepages=1)" ||
	fail "no log line: $(dmesg | grep nh: | tail -n 2)"
dmesg | grep -q "nh: enable: failed with error -12" || fail "enable error is not ENOMEM"
[ ! -e "$NRI_SYS/nh" ] || fail "a half-made ring is in sysfs"

echo 0 >"$hp"
echo 1 >"$NRI_CFS/nh/enable" || fail "enable once the pages are back"
[ "$(qattr nh 0 huge_pages)" = 2 ] || fail "huge_pages $(qattr nh 0 huge_pages)"
nri-io --nlb 64 --seed 73 write nh >/dev/null || fail "write"
nri-io --nlb 64 --seed 73 verify nh >/dev/null || fail "verify"
ring_down nh
# nothing held: the module says so at unload otherwise
nri_reload_held_nothing
dmesg_clean
pass
