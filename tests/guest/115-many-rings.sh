#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: many rings on one namespace at once, each with a queue per
# CPU, all doing verified I/O in disjoint LBA windows; then all torn down,
# with no ring or ring page left at unload.
# TOPOLOGY: any
. "$(dirname "$0")/lib.sh"

ring_test nri-io
n=8
cpus=$(cat /sys/devices/system/cpu/online)
ncpu=$(online_cpus | wc -l)
cleanup() {
	local i
	for i in $(seq 1 "$n"); do
		ring_down "m$i"
	done
}
trap cleanup EXIT

for i in $(seq 1 "$n"); do
	ring_up "m$i" cpus="$cpus" nr_queues="$ncpu" data_size=2M sq_entries=64 cq_entries=64 \
		lba_start=$((i * 10000)) lba_count=10000
done
[ "$(find "$NRI_SYS" -mindepth 1 -maxdepth 1 | wc -l)" = "$n" ] || fail "not $n rings in sysfs"
for i in $(seq 1 "$n"); do
	[ "$(ring_queues "m$i" | wc -l)" = "$ncpu" ] || fail "m$i: not $ncpu queues"
done

# every ring at once
for i in $(seq 1 "$n"); do
	nri-io --lba $((i * 10000)) --nlb 512 --bs 8 --depth 16 --seed "$i" write "m$i" >"/tmp/m$i.out" 2>&1 &
done
wait
for i in $(seq 1 "$n"); do
	nri-io --lba $((i * 10000)) --nlb 512 --bs 8 --depth 16 --seed "$i" verify "m$i" >>"/tmp/m$i.out" 2>&1 ||
		fail "m$i: $(cat "/tmp/m$i.out")"
done
info "$n rings x $ncpu queues verified"
cleanup
rmmod nvme_ring_io || fail "rmmod"
dmesg | grep "nvme_ring_io: unloaded with" && fail "rings or ring memory left"
modprobe nvme_ring_io || fail "modprobe"
pass
