#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: anonymous rings set up, given 32 reads and closed at once
# with the reads in flight, 2,000 times (two clients of 1,000, NRI_CHURN,
# on CPUs of different nodes, at the same time): the completions racing the
# teardown never touch a freed queue, and the module holds nothing
# afterwards. make check runs it in the boot with threaded NVMe interrupts
# (nvme.use_threaded_interrupts=1), where that window is widest.
# TOPOLOGY: poll
. "$(dirname "$0")/lib.sh"

ring_test nri-hammer
threaded=$(cat /sys/module/nvme/parameters/use_threaded_interrupts 2>/dev/null)
info "nvme.use_threaded_interrupts=${threaded:-?}"
[ "$threaded" = Y ] || [ "$threaded" = 1 ] ||
	info "interrupts are not threaded here: the race window is narrower"
count=${NRI_CHURN:-1000}
read -r -a cpus <<<"$(online_cpus | tr '\n' ' ')"
taskset -c "${cpus[0]}" nri-hammer churn "/dev/$ns" "$count" >/tmp/churn0.out 2>&1 &
c0=$!
taskset -c "${cpus[-1]}" nri-hammer churn "/dev/$ns" "$count" >/tmp/churn1.out 2>&1 ||
	fail "churn: $(cat /tmp/churn1.out)"
wait "$c0" || fail "churn: $(cat /tmp/churn0.out)"
for i in 0 1; do
	info "$(cat /tmp/churn$i.out)"
	grep -q "^churn: $count done" /tmp/churn$i.out || fail "churn stopped early: $(cat /tmp/churn$i.out)"
done
nri_reload_held_nothing
pass
