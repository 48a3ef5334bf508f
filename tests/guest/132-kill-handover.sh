#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a client killed with kill -9 in the middle of verified I/O
# on every queue leaves the ring clean for the next one: its clients die
# with it, nothing stays in flight, and an immediate verified run on the
# same queues sees none of the dead client's completions (0 mismatches,
# no index warnings).
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
cleanup_rings k9
ring_up k9 cpus="$(cat /sys/devices/system/cpu/online)"
nq=$(ring_queues k9 | wc -l)

nvme-ring perf k9 --rw randrw --depth 32 --time 20 --verify >/tmp/k9.out 2>&1 &
pid=$!
sleep 3
[ "$(cat "$NRI_SYS/k9/submitted")" -gt 0 ] || fail "no I/O before the kill"
kill -9 "$pid"
wait "$pid" 2>/dev/null
dmesg -c >/dev/null

# within 5 s: no client of the dead run left, nothing in flight
wait_for 5 value_is "$NRI_SYS/k9/inflight" -eq 0
for q in $(ring_queues k9); do
	[ "$(qattr k9 "$q" inflight)" = 0 ] || fail "queue $q: $(qattr k9 "$q" inflight) commands in flight after the kill"
done
s0=$(cat "$NRI_SYS/k9/submitted")
sleep 1
[ "$(cat "$NRI_SYS/k9/submitted")" = "$s0" ] || fail "I/O goes on after its client was killed"

out=$(nvme-ring perf k9 --rw randrw --depth 32 --ios $((nq * 1000)) --verify 2>&1) ||
	fail "the next run failed: $(tail -n 3 <<<"$out")"
grep -q 'verify: .* 0 mismatches' <<<"$out" || fail "the next run: $(tail -n 2 <<<"$out")"
dmesg | grep -q "ahead of" && fail "index warnings after the handover: $(dmesg | grep 'ahead of' | head -n 2)"
info "$(grep 'verify:' <<<"$out")"
pass
