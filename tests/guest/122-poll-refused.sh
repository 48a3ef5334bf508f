#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a ring asking for polled completions on a namespace without
# poll queues is refused at enable, with a log line saying what to do.
. "$(dirname "$0")/lib.sh"

require_module
ns=$(first_ns)
for t in /sys/kernel/debug/block/"$ns"/hctx*/type; do
	[ -r "$t" ] || skip "no blk-mq debugfs for $ns"
	grep -q poll "$t" && skip "$ns has poll queues here; tests/guest/123-poll.sh covers them"
done
trap 'ring_down pr' EXIT
ring_make pr poll=1
[ "$(cat "$NRI_CFS/pr/poll")" = 1 ] || fail "poll readback"
expect_write_fail 2 "$NRI_CFS/pr/poll"
dmesg -c >/dev/null
expect_write_fail 1 "$NRI_CFS/pr/enable"
dmesg | grep -q "poll: /dev/$ns has no poll queues (load nvme with poll_queues=N)" ||
	fail "no log line for the refusal"
[ ! -e /dev/nvme_ring/pr ] || fail "device node after a refused enable"
echo 0 >"$NRI_CFS/pr/poll"
echo 1 >"$NRI_CFS/pr/enable" || fail "enable without poll"
pass
