#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: anonymous rings set up, given 32 reads and closed at once
# with the reads in flight, 10,000 times: the completions racing the
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
out=$(nri-hammer churn "/dev/$ns" 10000 2>&1) || fail "churn: $out"
info "$out"
grep -q '^churn: 10000 done' <<<"$out" || fail "churn stopped early: $out"
dmesg -c >/dev/null
nri_reload
dmesg | grep -q "still held" && fail "the module still held rings or memory: $(dmesg | grep 'still held')"
pass
