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
# wait until the commands are at the device
for _ in $(seq $((100 * $(slow_factor)))); do
	[ "$(cat "$NRI_SYS/td/queues/0/inflight" 2>/dev/null || echo 0)" -ge 64 ] && break
	sleep 0.05
done
inflight=$(cat "$NRI_SYS/td/queues/0/inflight")
[ "$inflight" -ge 64 ] || fail "only $inflight commands in flight"
t0=$(now_ms)
echo 0 >"$NRI_CFS/td/enable" || fail "disable"
ms=$(($(now_ms) - t0))
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
