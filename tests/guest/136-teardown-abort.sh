#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: disabling a ring does not wait without bound for commands
# the device holds: on a namespace whose every command takes seconds,
# disabling with teardown_timeout_ms=100 under 64 commands in flight logs
# how many were still out and asks the driver to abort them, returns once
# they have completed (the emulated device does not abort, so they finish
# at their time), and the client finds exactly one completion for each in
# its mapped CQ.
# TOPOLOGY: slow
. "$(dirname "$0")/lib.sh"

ring_test nri-io
slow=$(slow_ns)
cleanup_rings td
ring_make td device="/dev/$slow" cpus=0 nr_queues=1 teardown_timeout_ms=100
echo 1 >"$NRI_CFS/td/enable" || fail "enable on the slow namespace"

# how long one command takes there, for the record
t0=$(now_ms)
nri-io --opcode 2 --data-len 512 cmd td >/dev/null || fail "one read"
info "one read on $slow: $(($(now_ms) - t0)) ms"

dmesg -c >/dev/null
nri-io --opcode 2 --data-len 512 --count 64 cmd td >/tmp/td.out 2>&1 &
client=$!
# wait until the commands are at the device; the count seen is the one
# kept (read again, on a slow kernel, they may have completed already)
wait_for 5 value_is "$NRI_SYS/td/queues/0/inflight" -ge 64 ||
	fail "only ${last_value:-no} commands in flight; the client: $(cat /tmp/td.out)"
inflight=$last_value
# no process started between seeing them and disabling: on a slow kernel
# a fork can take much of the device's 2 s
read -r up0 _ </proc/uptime
echo 0 >"$NRI_CFS/td/enable" || fail "disable"
read -r up1 _ </proc/uptime
ms=$(((10#${up1/./} - 10#${up0/./}) * 10))
info "disable with $inflight in flight took $ms ms"
dmesg | grep -q "td: 64 command(s) still in flight [0-9]* ms after disabling: asking the driver to abort 64" ||
	fail "no log line about aborting: $(dmesg | grep td: | tail -n 3)"
dmesg | grep -q "td: the aborted commands have completed after" || fail "no log line for the end"
wait "$client" || fail "client: $(cat /tmp/td.out)"
grep -q "completions 64 of 64" /tmp/td.out || fail "client: $(cat /tmp/td.out)"
info "$(tail -n 1 /tmp/td.out)"
ring_down td
dmesg_clean
pass
