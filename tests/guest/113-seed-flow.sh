#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the original design's flow on /dev/nvme_ring_io (SETUP with
# nvme_fd, mmap, SUBMIT, COMPLETE, GET_INFO) with data verification, its
# rings in sysfs, and flow control: COMPLETE waits, poll(), a CQ smaller
# than the SQ, every command completed exactly once.
# TOPOLOGY: any
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nri-io
[ -c /dev/nvme_ring_io ] || fail "/dev/nvme_ring_io is missing"
trap 'ring_down fl' EXIT

nri-io --lba 50000 --nlb 256 --bs 8 --seed 40 write "setup:/dev/$ns" || fail "SETUP ring write"
nri-io --lba 50000 --nlb 256 --bs 8 --seed 40 verify "setup:/dev/$ns" || fail "SETUP ring verify"
ng=$(ns_generic_dev "$ns")
if [ -c "$ng" ]; then
	nri-io --lba 50000 --nlb 256 --bs 8 --seed 40 verify "setup:$ng" || fail "SETUP on $ng"
fi
nri-io info "setup:/dev/$ns" | grep -q "queues 1 " || fail "anonymous ring has one queue"

# an anonymous ring shows in sysfs while its file is open, and goes with
# it; the holder keeps it open until killed (a client may take seconds to
# start on a debug kernel)
nri-io --hold 600 info "setup:/dev/$ns" >/dev/null &
holder=$!
anon=
# anon_ring: the first anonymous ring in sysfs, once its attributes are
# shellcheck disable=SC2317 # called through wait_for
anon_ring() {
	local d
	for d in "$NRI_SYS"/anon.*; do
		[ -e "$d/state" ] && { anon=$d; return 0; }
	done
	return 1
}
wait_for 10 anon_ring || fail "anonymous ring not in $NRI_SYS"
[ "$(cat "$anon/state")" = live ] || fail "anonymous ring state $(cat "$anon/state")"
[ -d "$anon/queues/0" ] || fail "anonymous ring has no queues/0"
[ "$(cat "$anon/device")" = nvme_fd ] || fail "anonymous ring device: $(cat "$anon/device")"
kill "$holder"
wait "$holder"
wait_for 5 test ! -e "$anon" || fail "anonymous ring outlived its file"

# flow control on a named ring with a CQ smaller than the SQ
ring_up fl sq_entries=64 cq_entries=8
nri-io flow fl || fail "flow control"
[ "$(cat "$NRI_SYS/fl/cq_full_events")" -gt 0 ] || fail "cq_full_events did not move"
[ "$(cat "$NRI_SYS/fl/inflight")" = 0 ] || fail "inflight after the run"
[ "$(cat "$NRI_SYS/fl/submitted")" = "$(cat "$NRI_SYS/fl/completed")" ] || fail "submitted != completed"
echo 0 >"$NRI_CFS/fl/enable"
ring_up fl2 sq_entries=8 cq_entries=64
nri-io flow fl2 || fail "flow control, CQ larger than SQ"
ring_down fl2
pass
