#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: the VM knobs take effect. Booted with
# VM_CPUS=2 VM_NODES=1 VM_NVME=2 VM_NVME_BACKEND=null VM_NVME_LBA=4096
# VM_NVME_QUEUES=1 VM_HUGEPAGES=4; checks what sysfs shows against that, and
# that run_as_user runs as the plain user. It prints two NRI-MARK lines for
# the host-side CPU record (VM_HOST_CPU), which run.sh checks.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(online_cpus | wc -l)" -eq 2 ] || fail "expected 2 CPUs, got $(online_cpus | wc -l)"
[ "$(nr_nodes)" -eq 1 ] || fail "expected 1 node, got $(nr_nodes)"

ctrls=$(nvme_controllers | wc -l)
[ "$ctrls" -eq 2 ] || fail "expected 2 NVMe controllers, got $ctrls"
nss=$(nvme_namespaces | wc -l)
[ "$nss" -eq 2 ] || fail "expected 2 NVMe namespaces, got $nss"
for ns in $(nvme_namespaces); do
	lbs=$(cat "/sys/block/$ns/queue/logical_block_size")
	[ "$lbs" -eq 4096 ] || fail "$ns: logical block size $lbs, expected 4096"
	nr=$(ns_hctxs "$ns" | wc -l)
	[ "$nr" -eq 1 ] || fail "$ns: $nr hardware contexts, expected 1"
	# null-co reads zeroes.
	if [ -n "$(dd if="/dev/$ns" bs=4096 count=1 2>/dev/null | tr -d '\0')" ]; then
		fail "$ns: reads non-zero data from a null-co backend"
	fi
	info "$ns: LBA $lbs, $nr hardware context"
done

hp=$(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages)
[ "$hp" -eq 4 ] || fail "node0 has $hp huge pages, expected 4"

echo "NRI-MARK begin knobs"
dd if=/dev/zero of=/dev/null bs=64k count=2000 2>/dev/null
echo "NRI-MARK end knobs"

uid=$(run_as_user id -u)
[ "$uid" -eq 1000 ] || fail "run_as_user ran with uid $uid"
# shellcheck disable=SC2016 # expanded by the inner shell
[ "$(run_as_user sh -c 'echo "$1"' sh "a b")" = "a b" ] || fail "run_as_user split an argument"
expect_fail run_as_user sh -c 'echo x >/proc/sys/vm/drop_caches' 2>/dev/null
pass
