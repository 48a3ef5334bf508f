#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a short fuzzing run (nri-fuzz) against every entry point:
# random ioctls and SETUPs, mmap offsets and lengths, SQ descriptors, slots
# and indices while commands run, io_uring commands, configfs strings (also
# while another process enables and disables the ring), and mapping,
# dropping and unmapping the ring in one process while another does I/O. The
# kernel log stays clean (the runner checks), the ring stays usable, no
# byte outside the ring's LBA window changes, counters add up, and the
# module unloads with no ring or ring page left. NRI_FUZZ_ROUNDS sets the
# length, or NRI_FUZZ_INPUTS the inputs every entry point must have had;
# NRI_FUZZ_JOBS fuzzers run at once (default 1), each pinned to a CPU of
# its own queue with a seed of its own, sharing the rounds or inputs.
. "$(dirname "$0")/lib.sh"

ring_test nri-fuzz nri-io
rounds=${NRI_FUZZ_ROUNDS:-300}
[ -n "$rounds" ] || rounds=300
jobs=${NRI_FUZZ_JOBS:-1}
[ "$jobs" -ge 1 ] 2>/dev/null || fail "NRI_FUZZ_JOBS=$jobs is not a positive number"
# each job's share, rounded up
length=(--rounds $(((rounds + jobs - 1) / jobs)))
[ -z "${NRI_FUZZ_INPUTS:-}" ] || length=(--inputs $(((NRI_FUZZ_INPUTS + jobs - 1) / jobs)))
trap 'ring_down fz; ring_down fzall' EXIT

# a pattern on both sides of the window the fuzzer may write into
ring_up fzall
nri-io --lba 99000 --nlb 1000 --seed 90 write fzall >/dev/null || fail "pattern before"
nri-io --lba 150000 --nlb 1000 --seed 91 write fzall >/dev/null || fail "pattern after"
ring_down fzall

sync
echo 3 >/proc/sys/vm/drop_caches
free0=$(meminfo_kb MemFree)
# one 2 MiB chunk a queue: the fuzzer's buffers use about 270 KiB of it, and
# every map and drop of maprace costs a page table entry per page
ring_up fz lba_start=100000 lba_count=50000 data_size=2M \
	cpus="$(cat /sys/devices/system/cpu/online)"
seed=$(($(date +%s) % 100000))
# job j on the first CPU of queue j (queues repeat when fewer than jobs)
read -r -a queues <<<"$(ring_queues fz | tr '\n' ' ')"
pids=()
for ((j = 0; j < jobs; j++)); do
	q=${queues[$((j % ${#queues[@]}))]}
	cpu=$(expand_list "$(qattr fz "$q" cpus)" | head -n 1)
	info "nri-fuzz ${length[*]} --seed $((seed + j)) on CPU $cpu (queue $q)"
	taskset -c "$cpu" nri-fuzz "${length[@]}" --seed "$((seed + j))" fz "/dev/$ns" \
		>"/tmp/fuzz$j.out" 2>&1 &
	pids+=($!)
done
for ((j = 0; j < jobs; j++)); do
	wait "${pids[$j]}" || fail "nri-fuzz died (seed $((seed + j))): $(cat "/tmp/fuzz$j.out")"
	info "job $j: $(cat "/tmp/fuzz$j.out")"
done

[ "$(cat "$NRI_SYS/fz/state")" = live ] || fail "ring not live after fuzzing (seed $seed)"
nri-io --lba 100000 --nlb 256 --seed 92 write fz >/dev/null || fail "write after fuzzing (seed $seed)"
nri-io --lba 100000 --nlb 256 --seed 92 verify fz >/dev/null || fail "verify after fuzzing (seed $seed)"
wait_for 5 value_is "$NRI_SYS/fz/inflight" -eq 0 ||
	fail "$last_value commands stuck in flight (seed $seed)"
[ "$(cat "$NRI_SYS/fz/submitted")" = "$(cat "$NRI_SYS/fz/completed")" ] ||
	fail "submitted $(cat "$NRI_SYS/fz/submitted") != completed $(cat "$NRI_SYS/fz/completed")"
info "after fuzzing: $(tail -n 1 "$NRI_SYS/fz/stat")"
ring_down fz

ring_up fzall
nri-io --lba 99000 --nlb 1000 --seed 90 verify fzall >/dev/null || fail "data before the window changed (seed $seed)"
nri-io --lba 150000 --nlb 1000 --seed 91 verify fzall >/dev/null || fail "data after the window changed (seed $seed)"
ring_down fzall

for d in "$NRI_CFS"/nri-fuzz-*; do
	[ ! -e "$d" ] || rmdir "$d"
done
[ -z "$(ls "$NRI_SYS" 2>/dev/null)" ] || fail "rings left: $(ls "$NRI_SYS")"
rmmod nvme_ring_io || fail "module does not unload after fuzzing (seed $seed)"
# the module counts its rings and ring pages, and says so when any is left
dmesg | grep "nvme_ring_io: unloaded with" && fail "ring memory leaked (seed $seed)"
modprobe nvme_ring_io || fail "modprobe"
sync
echo 3 >/proc/sys/vm/drop_caches
free1=$(meminfo_kb MemFree)
# per-CPU page lists and lazily freed vmap areas make MemFree move by tens
# of MiB here; a leaked ring set per round would be gigabytes
info "MemFree $free0 -> $free1 KiB"
[ $((free0 - free1)) -lt 131072 ] || fail "MemFree fell by $((free0 - free1)) KiB (seed $seed)"
pass
