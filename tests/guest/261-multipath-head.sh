#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a ring on a multipath head: a namespace shared by a
# subsystem's two controllers (vm-test.sh VM_NVME_SHARED), under native
# multipath. The ring binds the head, block or generic node, through one
# of its paths and names that path's controller; verified I/O goes
# through. Then that controller is removed under verified load: the ring
# moves to the other path and stays live, the client sees no error, its
# data verifies, every command completes once, and sysfs names the new
# controller and its hardware queues. After a PCI rescan the first
# controller is back and the ring, still under load, moves back to it.
# With both controllers removed the ring is dead, every command completes
# once and the log says there is no path left; rescanned, a new ring works.
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

# path_hctxs CTRL CPUS: the hardware contexts of CTRL's path of the head
# that serve CPUS (a list), one per line
path_hctxs() {
	local d="" c p
	for p in "/sys/class/nvme/$1/${head%n*}c"*"n${head##*n}"; do
		[ -d "$p" ] && d=${p##*/}
	done
	[ -n "$d" ] || fail "$1 has no path of $head"
	for c in $(expand_list "$2"); do
		ns_hctx_of_cpu "$d" "$c" || fail "no context of $d serves CPU $c"
	done | sort -nu
}
# path_of_queues RING: the controllers its queues name, one per line
path_of_queues() {
	cat "$NRI_SYS/$1"/queues/*/controller | sort -u
}
# wait_controller RING CTRL: the ring's path is CTRL within 20 s
wait_controller() {
	wait_for 20 value_is "$NRI_SYS/$1/controller" = "$2"
}
# loaded_after RING N: wait until RING has completed N more commands
loaded_after() {
	wait_for 30 value_is "$NRI_SYS/$1/completed" -ge \
		$(($(cat "$NRI_SYS/$1/completed") + $2))
}
# check_accounts RING: nothing in flight, every command completed once
check_accounts() {
	local s c
	[ "$(cat "$NRI_SYS/$1/inflight")" = 0 ] || fail "$1: commands in flight at the end"
	s=$(cat "$NRI_SYS/$1/submitted")
	c=$(cat "$NRI_SYS/$1/completed")
	[ "$s" = "$c" ] || fail "$1: submitted $s, completed $c"
}
# ctrls_are N: the subsystem has N controllers
# shellcheck disable=SC2317 # called through wait_for
ctrls_are() {
	[ "$(controllers_of "$subsys" | wc -w)" = "$1" ]
}
# wait_ctrls N: the subsystem has N controllers within 20 s
wait_ctrls() {
	wait_for 20 ctrls_are "$1" && return 0
	fail "$subsys has controllers '$(controllers_of "$subsys")', not $1"
}

# the ring's path goes away under load: it moves to the other one
other=$(echo "$ctrls" | tr ' ' '\n' | grep -vx "$ctrl" | grep .)
bdf=$(basename "$(readlink -f "/sys/class/nvme/$ctrl/device")")
[ -e "/sys/bus/pci/devices/$bdf/remove" ] || skip "$ctrl is not a removable PCI device"
[ "$(path_of_queues mp)" = "$ctrl" ] || fail "queues name '$(path_of_queues mp | xargs)', not $ctrl"
changes=$(cat "$NRI_SYS/mp/path_changes")
nvme-ring perf mp --rw randrw --depth 32 --time 300 --size 1M --verify >/tmp/mp.out 2>&1 &
pid=$!
loaded_after mp 1000 || fail "the client did not get going: $(tail -n 3 /tmp/mp.out)"
echo 1 >"/sys/bus/pci/devices/$bdf/remove" || fail "PCI remove of $ctrl"
wait_controller mp "$other" || fail "the ring still goes through '$(cat "$NRI_SYS/mp/controller")' after $ctrl went away"
[ "$(cat "$NRI_SYS/mp/state")" = live ] || fail "state $(cat "$NRI_SYS/mp/state") after $ctrl went away"
loaded_after mp 1000 || fail "no I/O through $other: $(tail -n 3 /tmp/mp.out)"
[ "$(path_of_queues mp)" = "$other" ] || fail "queues name '$(path_of_queues mp | xargs)', not $other"
for q in "$NRI_SYS/mp"/queues/*; do
	want=$(path_hctxs "$other" "$(cat "$q/cpus")")
	[ "$(expand_list "$(cat "$q/hctx")")" = "$want" ] ||
		fail "queue ${q##*/} (CPUs $(cat "$q/cpus")) names contexts $(cat "$q/hctx") of $other, not ${want//$'\n'/ }"
done
[ "$(cat "$NRI_SYS/mp/path_changes")" = $((changes + 1)) ] ||
	fail "path_changes $(cat "$NRI_SYS/mp/path_changes"), not $((changes + 1))"
nvme-ring show mp | grep -qx "path: *$other (moved 1 time)" ||
	fail "show says: $(nvme-ring show mp | grep '^path')"
dmesg | grep -q "mp: namespace 1: the path through $ctrl failed: commands now go through $other" ||
	fail "no log line for the move: $(dmesg | grep 'mp: ' | tail -n 2)"
stop_verified "$pid" /tmp/mp.out mp "the move"
info "$ctrl removed: $(cat "$NRI_SYS/mp/completed") commands, none failed, now through $other"

# a new ring on the head goes through the remaining path
ring_up mp2 device="/dev/$head" cpus="$cpus"
[ "$(cat "$NRI_SYS/mp2/controller")" = "$other" ] ||
	fail "the new ring goes through '$(cat "$NRI_SYS/mp2/controller")', not $other"
nri-io --nlb 256 --seed 73 write mp2 >/dev/null || fail "write through $other"
nri-io --nlb 256 --seed 73 verify mp2 >/dev/null || fail "verify through $other"
ring_down mp2

# the first controller comes back under load: the ring returns to it
nvme-ring perf mp --rw randrw --depth 32 --time 300 --size 1M --verify >/tmp/mp.out 2>&1 &
pid=$!
loaded_after mp 1000 || fail "the client did not get going: $(tail -n 3 /tmp/mp.out)"
echo 1 >/sys/bus/pci/rescan
wait_ctrls 2
back=$(controllers_of "$subsys" | tr ' ' '\n' | grep -vx "$other" | grep .)
wait_controller mp "$back" || fail "the ring goes through '$(cat "$NRI_SYS/mp/controller")', not $back, after the rescan"
loaded_after mp 1000 || fail "no I/O through $back: $(tail -n 3 /tmp/mp.out)"
[ "$(path_of_queues mp)" = "$back" ] || fail "queues name '$(path_of_queues mp | xargs)', not $back"
dmesg | grep -q "mp: namespace 1: commands now go through $back, a better path than $other" ||
	fail "no log line for the move back: $(dmesg | grep 'mp: ' | tail -n 2)"
stop_verified "$pid" /tmp/mp.out mp "the move back"
info "$back is back: the ring moved to it ($(cat "$NRI_SYS/mp/path_changes") moves)"

# both paths go away under load: dead, every command completed once
nvme-ring perf mp --rw randrw --depth 32 --time 300 --size 1M --verify >/tmp/mp.out 2>&1 &
pid=$!
loaded_after mp 1000 || fail "the client did not get going: $(tail -n 3 /tmp/mp.out)"
for c in $(controllers_of "$subsys"); do
	echo 1 >"/sys/bus/pci/devices/$(basename "$(readlink -f "/sys/class/nvme/$c/device")")/remove" ||
		fail "PCI remove of $c"
done
exits_within "$pid" 30 || fail "the client still ran 30 s after the last path went away"
rc=0
wait "$pid" || rc=$?
[ "$rc" != 0 ] || fail "the client did not notice the last path going away"
info "client: $(grep -m 1 'nvme-ring perf:' /tmp/mp.out)"
[ "$(cat "$NRI_SYS/mp/state")" = dead ] || fail "state $(cat "$NRI_SYS/mp/state") with no path left"
check_accounts mp
dmesg | grep -q "mp: namespace 1: the path through .* is gone and the head has no other usable path: the ring is dead" ||
	fail "no log line for the last path: $(dmesg | grep 'mp: ' | tail -n 2)"
[ "$(cat "$NRI_SYS/mp/controller")" != "" ] || fail "no controller shown for a dead ring"
ring_down mp

# both come back, in a subsystem made anew: a new ring works
echo 1 >/sys/bus/pci/rescan
for _ in $(seq 1 200); do
	head=
	for d in /sys/block/nvme*n*; do
		[ -b "/dev/${d##*/}" ] && [ "$(ns_serial "${d##*/}")" = nri-shared ] && head=${d##*/}
	done
	subsys=
	[ -n "$head" ] && subsys=$(basename "$(readlink -f "/sys/block/$head/device")")
	[ -n "$subsys" ] && [ "$(controllers_of "$subsys" | wc -w)" = 2 ] && break
	sleep 0.1
done
[ -n "$head" ] || fail "the shared namespace did not come back after the rescan"
wait_ctrls 2
ring_up mp3 device="/dev/$head" cpus="$cpus"
nri-io --nlb 256 --seed 74 write mp3 >/dev/null || fail "write after the rescan, through $(cat "$NRI_SYS/mp3/controller")"
nri-io --nlb 256 --seed 74 verify mp3 >/dev/null || fail "verify after the rescan, through $(cat "$NRI_SYS/mp3/controller")"
ring_down mp3
dmesg_clean
pass
