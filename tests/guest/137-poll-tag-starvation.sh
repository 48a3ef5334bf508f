#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a polled ring's client that holds every tag of a poll queue
# and does not reap cannot stall another polled ring on that queue: on the
# namespace whose commands take 2 s, ring A (CPU 0) sends as many reads as
# the queue has tags and waits 15 s before reaping; ring B (CPU 0 too)
# then submits one read. B's submitter reaps the poll queue while it waits
# for a tag, which completes A's commands into A's CQ, so B's read is done
# in seconds, long before A reaps (a submitter sleeping for a tag would
# wait for A or for the driver's timeout), no command times out, and A
# still gets every completion.
# TOPOLOGY: slow
. "$(dirname "$0")/lib.sh"

ring_test nri-io
ns=$(slow_ns)
require_poll_queues
cleanup_rings pa pb
depth=$(cat "/sys/block/$ns/queue/nr_requests")
[ "$depth" -le 1024 ] || depth=1024
info "$ns: $npoll poll queue(s) of $depth tags"
for r in pa pb; do
	ring_make "$r" device="/dev/$ns" cpus=0 nr_queues=1 poll=1 \
		sq_entries=1024 cq_entries=1024
	echo 1 >"$NRI_CFS/$r/enable" || fail "$r: enable"
done

dmesg -c >/dev/null
f=$(slow_factor)
nri-io --pin --opcode 2 --data-len 512 --count "$depth" --linger $((15 * f)) cmd pa >/tmp/pa.out 2>&1 &
a=$!
wait_for 5 value_is "$NRI_SYS/pa/queues/0/inflight" -ge "$depth" ||
	fail "ring A has only $last_value of $depth in flight"

t0=$(now_ms)
out=$(timeout $((12 * f)) nri-io --pin --opcode 2 --data-len 512 cmd pb 2>&1) ||
	fail "ring B's read did not complete within $((12 * f)) s: $out"
ms=$(($(now_ms) - t0))
info "ring B: $(tail -n 1 <<<"$out"); read done after $ms ms"
grep -q "completions 1 of 1: ok 1" <<<"$out" || fail "ring B: $out"
kill -0 "$a" 2>/dev/null || fail "ring A's client ended before it reaped: $(cat /tmp/pa.out)"

wait "$a" || fail "ring A: $(cat /tmp/pa.out)"
grep -q "completions $depth of $depth: ok $depth" /tmp/pa.out || fail "ring A: $(cat /tmp/pa.out)"
if dmesg | grep -E "timeout|completion polled"; then
	fail "a command timed out"
fi
ring_down pa
ring_down pb
dmesg_clean
pass
