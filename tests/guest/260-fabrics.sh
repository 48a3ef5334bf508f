#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: rings on NVMe over Fabrics namespaces, through nvme-loop
# and through NVMe/TCP on 127.0.0.1, set up with nvmet's configfs and
# nvme connect: a verified nvme-ring perf run; nvme disconnect under load
# (every command completes once, the ring says dead, its client says the
# device went away, rmdir works); a reconnect and a new ring; then the
# target disables the namespace under load, with the same guarantees, and
# a ring works again once it is enabled. With native multipath (the
# default) the namespace is a multipath head, which the ring binds through
# its path (the ring's controller file names it); with
# nvme_core.multipath=N a plain namespace.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io nvme
if native_multipath; then
	info "native multipath: rings bind the fabrics namespaces' heads"
else
	info "no native multipath: rings bind plain fabrics namespaces"
fi
cfs=/sys/kernel/config/nvmet
img=/tmp/fabrics.img
cpus=$(cat /sys/devices/system/cpu/online)

# shellcheck disable=SC2317 # called through the trap
cleanup() {
	local r n
	for r in fab fab2 fab3; do
		[ -d "$NRI_CFS/$r" ] || continue
		echo 0 >"$NRI_CFS/$r/enable" 2>/dev/null
		rmdir "$NRI_CFS/$r" 2>/dev/null
	done
	for n in loop tcp; do
		nvme disconnect -n "nqn.2026-11.io.nvme-ring:fab-$n" >/dev/null 2>&1
		fabrics_target_down "nqn.2026-11.io.nvme-ring:fab-$n"
	done
	rm -f "$img"
}
trap cleanup EXIT

# completed_beyond RING N: waits up to 20 s for RING's completions to pass
# N; prints the count
completed_beyond() {
	wait_for 20 value_is "$NRI_SYS/$1/completed" -gt "$2"
	echo "$last_value"
}

# load RING: a verified randrw client on every queue, until stopped
load() {
	nvme-ring perf "$1" --rw randrw --bs 4k --depth 32 --time 300 --size 1M \
		--verify >"/tmp/$1.out" 2>&1 &
	pid=$!
	[ "$(completed_beyond "$1" 500)" -gt 500 ] || fail "$tr: no I/O on $1"
}

# ended_by_loss RING WHAT: the client stopped on its own with a clear
# message, and the ring accounts for every command: dead, nothing in
# flight, each submitted command completed once
ended_by_loss() {
	local r=$1 what=$2 rc=0 s c
	exits_within "$pid" 30 || fail "$tr: the client still ran 30 s after $what"
	wait "$pid" || rc=$?
	[ "$rc" != 0 ] || fail "$tr: the client did not notice $what"
	grep -q "went away\|No such device\|died\|ring is dead" "/tmp/$r.out" ||
		fail "$tr: unclear client message after $what: $(tail -n 3 "/tmp/$r.out")"
	info "$tr: $what: $(grep -m 1 'nvme-ring perf:' "/tmp/$r.out")"
	wait_for 10 value_is "$NRI_SYS/$r/state" = dead ||
		fail "$tr: state $last_value after $what"
	[ "$(cat "$NRI_SYS/$r/inflight")" = 0 ] || fail "$tr: commands in flight after $what"
	s=$(cat "$NRI_SYS/$r/submitted")
	c=$(cat "$NRI_SYS/$r/completed")
	[ "$s" = "$c" ] || fail "$tr: submitted $s, completed $c after $what"
	info "$tr: $what: $s submitted, $c completed, $(cat "$NRI_SYS/$r/errors") with an error"
	echo 0 >"$NRI_CFS/$r/enable" || fail "$tr: disable after $what"
	rmdir "$NRI_CFS/$r" || fail "$tr: rmdir after $what"
}

# new_ring RING NS: a ring on NS that writes and reads back
new_ring() {
	ring_up "$1" device="/dev/$2" cpus="$cpus"
	nri-io --lba 4096 --nlb 64 --seed 77 write "$1" >/dev/null || fail "$tr: write on $1"
	nri-io --lba 4096 --nlb 64 --seed 77 verify "$1" >/dev/null || fail "$tr: verify on $1"
}

truncate -s 256M "$img"
for tr in loop tcp; do
	nqn=nqn.2026-11.io.nvme-ring:fab-$tr
	fabrics_target_up "$tr" "$nqn" "$img" || fail "$tr: nvmet target setup"
	fns=$(fabrics_connect "$tr" "$nqn") || fail "$tr: nvme connect"
	ctrl=$(fabrics_ctrl "$nqn") || fail "$tr: no live controller"
	[ "$(cat "/sys/class/nvme/$ctrl/transport")" = "$tr" ] ||
		fail "$tr: $ctrl's transport is $(cat "/sys/class/nvme/$ctrl/transport")"
	info "$tr: $nqn connected as $ctrl, namespace $fns"

	ring_up fab device="/dev/$fns" cpus="$cpus"
	[ "$(cat "$NRI_SYS/fab/controller")" = "$ctrl" ] ||
		fail "$tr: the ring's controller is '$(cat "$NRI_SYS/fab/controller")', not $ctrl"
	nvme-ring perf fab --rw randrw --bs 4k --depth 16 --ios 2000 --size 1M --verify \
		>/tmp/fab-first.out 2>&1 || fail "$tr: perf: $(tail -n 3 /tmp/fab-first.out)"
	grep -q "verify: .* 0 mismatches" /tmp/fab-first.out ||
		fail "$tr: perf did not verify: $(grep -i verify /tmp/fab-first.out)"
	# iostat sees the ring's I/O on the disk users know (a head's)
	[ "$(awk '{ print $1 }' "/sys/block/$fns/stat")" -gt 0 ] ||
		fail "$tr: /sys/block/$fns/stat counted no reads"

	# the host disconnects under load
	load fab
	nvme disconnect -n "$nqn" >/dev/null || fail "$tr: nvme disconnect"
	ended_by_loss fab "nvme disconnect"

	# back, and a new ring works; then the target disables the namespace
	fns=$(fabrics_connect "$tr" "$nqn") || fail "$tr: nvme connect again"
	new_ring fab2 "$fns"
	if [ "$tr" = loop ]; then
		# 6.12's nvme-loop takes a mutex in queue_rq for a disabled
		# namespace (nvmet_subsys_nsid_exists), a WARNING with any I/O
		# (fixed upstream by "nvmet-loop: avoid using mutex in IO hot
		# path"): over TCP only
		info "loop: target-side disable under load not tried (the kernel's nvme-loop sleeps in atomic context there)"
		ring_down fab2
		nvme disconnect -n "$nqn" >/dev/null || fail "$tr: final nvme disconnect"
		fabrics_target_down "$nqn"
		continue
	fi
	load fab2
	echo 0 >"$cfs/subsystems/$nqn/namespaces/1/enable" || fail "$tr: target-side disable"
	ended_by_loss fab2 "the target disabling the namespace"

	# enabled again: the host finds it (a rescan, in case the event is
	# still on its way), and a new ring works
	echo 1 >"$cfs/subsystems/$nqn/namespaces/1/enable" || fail "$tr: target-side enable"
	ctrl=$(fabrics_ctrl "$nqn") || fail "$tr: the controller went away with the namespace"
	fns=
	for _ in $(seq 1 100); do
		fns=$(fabrics_ns "$nqn") && break
		nvme ns-rescan "/dev/$ctrl" >/dev/null 2>&1
		sleep 0.1
	done
	[ -n "$fns" ] || fail "$tr: the namespace did not come back"
	new_ring fab3 "$fns"
	ring_down fab3

	nvme disconnect -n "$nqn" >/dev/null || fail "$tr: final nvme disconnect"
	fabrics_target_down "$nqn"
done
dmesg_clean
pass
