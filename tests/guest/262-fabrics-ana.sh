#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a ring follows a multipath head's ANA states: one nvmet
# subsystem on two NVMe/TCP ports of 127.0.0.1, both connected, so the
# namespace's head has two paths. Under verified load the target makes
# the ring's path inaccessible (the ring moves to the other, no client
# error); then the first optimized and the other non-optimized (the ring
# moves back, as the better path); then both inaccessible (the commands
# wait, none fails, and a new ring cannot bind the head) until one is
# optimized again (they go on, and the new ring binds). The data verifies
# throughout and every command completes once.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nvme
native_multipath || skip "native NVMe multipath is off (nvme_core.multipath=N): no heads"
cfs=/sys/kernel/config/nvmet
nqn=nqn.2026-11.io.nvme-ring:ana
img=/tmp/ana.img
cpus=$(cat /sys/devices/system/cpu/online)

# shellcheck disable=SC2317 # called through the trap
cleanup() {
	local r
	for r in ana ana2; do
		[ -d "$NRI_CFS/$r" ] && { echo 0 >"$NRI_CFS/$r/enable"; rmdir "$NRI_CFS/$r"; } 2>/dev/null
	done
	nvme disconnect -n "$nqn" >/dev/null 2>&1
	fabrics_target_down "$nqn"
	rm -f "$img"
}
trap cleanup EXIT

truncate -s 64M "$img"
fabrics_target_up tcp "$nqn" "$img" || fail "nvmet target setup"
# a second port for the same subsystem: a second path
port2=
for p in 1 2 3 4 5 6 7 8 9; do
	mkdir "$cfs/ports/$p" 2>/dev/null && { port2=$p; break; }
done
[ -n "$port2" ] || fail "no free nvmet port"
if ! { echo tcp >"$cfs/ports/$port2/addr_trtype" &&
	echo ipv4 >"$cfs/ports/$port2/addr_adrfam" &&
	echo 127.0.0.1 >"$cfs/ports/$port2/addr_traddr" &&
	echo 4421 >"$cfs/ports/$port2/addr_trsvcid" &&
	ln -s "$cfs/subsystems/$nqn" "$cfs/ports/$port2/subsystems/$nqn"; }; then
	fail "second nvmet port"
fi
port1=
for p in "$cfs"/ports/*; do
	[ -L "$p/subsystems/$nqn" ] && [ "$(cat "$p/addr_trsvcid")" = 4420 ] && port1=${p##*/}
done
[ -n "$port1" ] || fail "no nvmet port 4420 for $nqn"

fns=$(fabrics_connect tcp "$nqn") || fail "nvme connect to port 4420"
nvme connect -t tcp -a 127.0.0.1 -s 4421 -n "$nqn" >/dev/null || fail "nvme connect to port 4421"
# ctrl_of SVCID: the controller connected through that TCP port
ctrl_of() {
	local d
	for d in /sys/class/nvme/nvme*; do
		[ "$(cat "$d/subsysnqn" 2>/dev/null)" = "$nqn" ] || continue
		grep -q "trsvcid=$1" "$d/address" 2>/dev/null && { basename "$d"; return 0; }
	done
	return 1
}
c1=''
c2=''
for _ in $(seq 1 100); do
	c1=$(ctrl_of 4420) && c2=$(ctrl_of 4421) &&
		[ "$(cat "/sys/class/nvme/$c2/state")" = live ] && break
	sleep 0.1
done
if [ -z "$c1" ] || [ -z "$c2" ]; then
	fail "not two controllers: '$c1' '$c2'"
fi
info "head $fns, paths through $c1 (port 4420) and $c2 (port 4421)"

# ana PORT STATE: the target's ANA state of group 1 on PORT
ana() {
	echo "$2" >"$cfs/ports/$1/ana_groups/1/ana_state" || fail "ANA state $2 on port $1"
}
# wait_controller CTRL: the ring's path is CTRL within 20 s
wait_controller() {
	wait_for 20 value_is "$NRI_SYS/ana/controller" = "$1" ||
		fail "the ring goes through '$last_value', not $1 ($2)"
}
# progress N: the ring completes N more commands within 30 s
progress() {
	wait_for 30 value_is "$NRI_SYS/ana/completed" -ge \
		$(($(cat "$NRI_SYS/ana/completed") + $1)) && return 0
	fail "no I/O ($2): $(tail -n 3 /tmp/ana.out)"
}

ring_up ana device="/dev/$fns" cpus="$cpus"
home=$(cat "$NRI_SYS/ana/controller")
case $home in
"$c1") away=$c2 hport=$port1 aport=$port2 ;;
"$c2") away=$c1 hport=$port2 aport=$port1 ;;
*) fail "the ring goes through '$home', not $c1 or $c2" ;;
esac
nvme-ring perf ana --rw randrw --bs 4k --depth 16 --time 300 --size 1M --verify \
	>/tmp/ana.out 2>&1 &
pid=$!
progress 500 "before any ANA change"

# the ring's path inaccessible: it moves
ana "$hport" inaccessible
wait_controller "$away" "its path inaccessible"
progress 500 "through $away"

# the first path optimized again, the other non-optimized: it moves back
ana "$hport" optimized
ana "$aport" non-optimized
wait_controller "$home" "its first path optimized, the other not"
progress 500 "back through $home"

# no usable path at all: the commands wait, then go on
ana "$hport" inaccessible
ana "$aport" inaccessible
sleep 2
c=$(cat "$NRI_SYS/ana/completed")
sleep 1
[ "$(cat "$NRI_SYS/ana/state")" = live ] || fail "state $(cat "$NRI_SYS/ana/state") with every path inaccessible"
[ "$(cat "$NRI_SYS/ana/completed")" = "$c" ] ||
	fail "commands completed with every path inaccessible ($c, then $(cat "$NRI_SYS/ana/completed"))"
dmesg | grep -q "ana: namespace 1: no usable path .*: commands wait for one to come back" ||
	fail "no log line for the wait: $(dmesg | grep 'ana: ' | tail -n 2)"
# a new ring cannot bind a head with no usable path, and says why
mkdir "$NRI_CFS/ana2" || fail "mkdir ana2"
echo "/dev/$fns" 2>/tmp/ana2.err >"$NRI_CFS/ana2/device" &&
	fail "ana2 bound a head with every path inaccessible"
grep -q "Invalid argument" /tmp/ana2.err || fail "device: '$(cat /tmp/ana2.err)', not EINVAL"
dmesg | grep -q "device: /dev/$fns is an NVMe multipath head with no usable path" ||
	fail "no log line for the refused device: $(dmesg | tail -n 2)"
ana "$aport" optimized
progress 500 "once $away is optimized again"
wait_controller "$away" "the only optimized path"
# and binds once one is back
echo "/dev/$fns" >"$NRI_CFS/ana2/device" || fail "ana2: device with a path back"
echo "$cpus" >"$NRI_CFS/ana2/cpus" || fail "ana2: cpus"
echo 1 >"$NRI_CFS/ana2/enable" || fail "ana2: enable with a path back"
[ "$(cat "$NRI_SYS/ana2/controller")" = "$away" ] ||
	fail "ana2 goes through '$(cat "$NRI_SYS/ana2/controller")', not $away"
# 2 MiB in: past the 1 MiB the verified client writes through the other
# ring, in blocks of the namespace's size (nvmet takes the image file's
# block size, 512 or 4096 bytes depending on the filesystem of /tmp)
lbs=$(cat "/sys/block/$fns/queue/logical_block_size")
lba=$((2 * 1024 * 1024 / lbs))
nri-io --lba "$lba" --nlb 16 --seed 262 write ana2 >/dev/null ||
	fail "write 16 blocks of $lbs bytes at lba $lba through ana2"
nri-io --lba "$lba" --nlb 16 --seed 262 verify ana2 >/dev/null ||
	fail "verify 16 blocks of $lbs bytes at lba $lba through ana2"
ring_down ana2

stop_verified "$pid" /tmp/ana.out ana "the ANA changes"
info "$(cat "$NRI_SYS/ana/submitted") commands, none failed, $(cat "$NRI_SYS/ana/path_changes") path changes"
ring_down ana
dmesg_clean
pass
