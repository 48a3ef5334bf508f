#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a ring on a multipath head: a namespace shared by a
# subsystem's two controllers (vm-test.sh VM_NVME_SHARED), under native
# multipath. The ring binds the head, block or generic node, through one
# of its paths and names that path's controller; verified I/O goes
# through. Then that controller is removed under verified load: every
# command completes once and the ring says dead (it keeps the path it
# chose: moving to the other is not done yet); a new ring on the head
# goes through the remaining controller; after a PCI rescan both paths
# are back and a new ring works.
# TOPOLOGY: extras
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io
native_multipath || skip "native NVMe multipath is off (nvme_core.multipath=N): no heads"
head=$(shared_head)
subsys=$(basename "$(readlink -f "/sys/block/$head/device")")
# controllers_of SUBSYS: its controllers (nvme1 nvme2), not its heads
controllers_of() {
	local d
	for d in "/sys/class/nvme-subsystem/$1"/nvme*; do
		[[ ${d##*/} =~ ^nvme[0-9]+$ ]] && printf '%s ' "${d##*/}"
	done
	return 0
}
ctrls=$(controllers_of "$subsys")
info "head $head of $subsys, controllers $ctrls"
[ "$(echo "$ctrls" | wc -w)" = 2 ] || fail "$subsys has controllers '$ctrls', not two"
cleanup_rings mp mp2 mp3 mpg
cpus=$(cat /sys/devices/system/cpu/online)

# the head's block node, and its generic node
ring_up mp device="/dev/$head" cpus="$cpus"
ctrl=$(cat "$NRI_SYS/mp/controller")
case " $ctrls " in *" $ctrl "*) ;; *) fail "the ring goes through '$ctrl', not one of $ctrls" ;; esac
dmesg | grep -q "mp: bound to nsid 1 (a multipath head) through $ctrl's path" ||
	fail "no log line naming the path: $(dmesg | grep 'mp: bound' | tail -n 1)"
nvme-ring perf mp --rw randrw --depth 16 --ios 2000 --size 1M --verify >/tmp/mp.out 2>&1 ||
	fail "perf on the head: $(tail -n 3 /tmp/mp.out)"
ng=ng${head#nvme}
[ -c "/dev/$ng" ] || fail "no generic node /dev/$ng for $head"
ring_up mpg device="/dev/$ng" cpus="$cpus"
nri-io --nlb 64 --seed 72 write mpg >/dev/null || fail "write through /dev/$ng"
nri-io --nlb 64 --seed 72 verify mpg >/dev/null || fail "verify through /dev/$ng"
ring_down mpg

# the ring's path goes away under load
other=$(echo "$ctrls" | tr ' ' '\n' | grep -vx "$ctrl" | grep .)
bdf=$(basename "$(readlink -f "/sys/class/nvme/$ctrl/device")")
[ -e "/sys/bus/pci/devices/$bdf/remove" ] || skip "$ctrl is not a removable PCI device"
nvme-ring perf mp --rw randrw --depth 32 --time 300 --size 1M --verify >/tmp/mp.out 2>&1 &
pid=$!
for _ in $(seq 1 150); do
	[ "$(cat "$NRI_SYS/mp/completed")" -gt 3000 ] && break
	sleep 0.1
done
echo 1 >"/sys/bus/pci/devices/$bdf/remove" || fail "PCI remove of $ctrl"
exits_within "$pid" 30 || fail "the client still ran 30 s after its path went away"
rc=0
wait "$pid" || rc=$?
[ "$rc" != 0 ] || fail "the client did not notice its path going away"
info "client: $(grep -m 1 'nvme-ring perf:' /tmp/mp.out)"
[ "$(cat "$NRI_SYS/mp/state")" = dead ] || fail "state $(cat "$NRI_SYS/mp/state") after its path went away"
[ "$(cat "$NRI_SYS/mp/inflight")" = 0 ] || fail "commands in flight after the path went away"
s=$(cat "$NRI_SYS/mp/submitted")
c=$(cat "$NRI_SYS/mp/completed")
[ "$s" = "$c" ] || fail "submitted $s, completed $c"
info "path $ctrl removed: $s submitted, $c completed, $(cat "$NRI_SYS/mp/errors") with an error"
ring_down mp

# the head still has a path: a new ring goes through it
ring_up mp2 device="/dev/$head" cpus="$cpus"
[ "$(cat "$NRI_SYS/mp2/controller")" = "$other" ] ||
	fail "the new ring goes through '$(cat "$NRI_SYS/mp2/controller")', not $other"
nri-io --nlb 256 --seed 73 write mp2 >/dev/null || fail "write through $other"
nri-io --nlb 256 --seed 73 verify mp2 >/dev/null || fail "verify through $other"
ring_down mp2

# the path comes back
echo 1 >/sys/bus/pci/rescan
for _ in $(seq 1 100); do
	[ "$(controllers_of "$subsys" | wc -w)" = 2 ] && break
	sleep 0.1
done
n=$(controllers_of "$subsys" | wc -w)
[ "$n" = 2 ] || fail "$subsys has $n controllers after the rescan"
ring_up mp3 device="/dev/$head" cpus="$cpus"
nri-io --nlb 256 --seed 73 verify mp3 >/dev/null || fail "verify after the rescan, through $(cat "$NRI_SYS/mp3/controller")"
ring_down mp3
dmesg_clean
pass
