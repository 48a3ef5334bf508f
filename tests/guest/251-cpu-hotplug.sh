#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a queue's CPUs go offline under load and come back: with
# one of its two CPUs left the client goes on; with none, its submissions
# fail with ENXIO and a log line instead of hanging, and cpus_online in
# sysfs shows the queue without a CPU; once the CPUs are back a new client
# on the queue verifies what the first one wrote.
. "$(dirname "$0")/lib.sh"

ring_test nri-io
[ "$(online_cpus | wc -l)" -ge 4 ] || skip "needs 4 CPUs"
cleanup_rings hp
ring_up hp cpus="$(cat /sys/devices/system/cpu/online)" nr_queues=2
# a queue of two CPUs that may both go offline (CPU 0 usually may not)
q=
for cand in $(ring_queues hp); do
	read -r -a qcpus <<<"$(expand_list "$(qattr hp "$cand" cpus)" | tr '\n' ' ')"
	[ "${#qcpus[@]}" -eq 2 ] || continue
	[ -w "/sys/devices/system/cpu/cpu${qcpus[0]}/online" ] || continue
	[ -w "/sys/devices/system/cpu/cpu${qcpus[1]}/online" ] || continue
	q=$cand
	break
done
[ -n "$q" ] || skip "no queue of two CPUs that can go offline: $(for x in $(ring_queues hp); do printf '%s ' "$(qattr hp "$x" cpus)"; done)"
info "queue $q, CPUs ${qcpus[*]}"
# shellcheck disable=SC2317 # called through the trap
restore() {
	local c
	for c in "${qcpus[@]}"; do
		echo 1 >"/sys/devices/system/cpu/cpu$c/online" 2>/dev/null
	done
	nri_cleanup_rings
}
trap restore EXIT

nri-io --queue "$q" --pin --lba 0 --nlb 2048 --bs 16 --seed 72 write hp >/dev/null || fail "write"
nri-io --queue "$q" --pin --lba 0 --nlb 2048 --bs 16 --seed 72 --loops 100000 verify hp \
	>/tmp/hp.out 2>&1 &
pid=$!
sleep 1

echo 0 >"/sys/devices/system/cpu/cpu${qcpus[0]}/online" || fail "offline CPU ${qcpus[0]}"
[ "$(qattr hp "$q" cpus_online)" = "${qcpus[1]}" ] || fail "cpus_online $(qattr hp "$q" cpus_online)"
c0=$(qattr hp "$q" completed)
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the client stopped with a CPU of the queue left: $(cat /tmp/hp.out)"
[ "$(qattr hp "$q" completed)" -gt "$c0" ] || fail "no completions with one CPU left"

dmesg -c >/dev/null
echo 0 >"/sys/devices/system/cpu/cpu${qcpus[1]}/online" || fail "offline CPU ${qcpus[1]}"
[ -z "$(qattr hp "$q" cpus_online)" ] || fail "cpus_online $(qattr hp "$q" cpus_online) with both offline"
wait_for 10 gone "$pid" || fail "the client goes on with no CPU of its queue online"
wait "$pid" && fail "the client succeeded with no CPU of its queue online"
grep -q "No such device or address" /tmp/hp.out || fail "unclear error: $(tail -n 2 /tmp/hp.out)"
info "client: $(tail -n 1 /tmp/hp.out)"
dmesg | grep -q "hp: queue $q: none of its CPUs is online" || fail "no log line"
[ "$(qattr hp "$q" inflight)" = 0 ] || fail "commands left in flight"

for c in "${qcpus[@]}"; do
	echo 1 >"/sys/devices/system/cpu/cpu$c/online" || fail "online CPU $c"
done
[ "$(qattr hp "$q" cpus_online)" = "$(qattr hp "$q" cpus)" ] || fail "cpus_online $(qattr hp "$q" cpus_online) after onlining"
nri-io --queue "$q" --pin --lba 0 --nlb 2048 --bs 16 --seed 72 verify hp >/dev/null ||
	fail "verify with the CPUs back"
[ "$(cat "$NRI_SYS/hp/state")" = live ] || fail "state $(cat "$NRI_SYS/hp/state")"
dmesg_clean
pass
