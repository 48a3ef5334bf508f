#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the controller is reset twice under verified load on every
# queue (nvme reset, then reset_controller in sysfs): the commands in
# flight at each reset complete once, with the driver's abort status or
# success, never lost; the ring stays live, the client keeps going after
# both resets, and every block it reads back verifies.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io nvme
ctrl=${ns%n*}
cleanup_rings rst
ring_up rst cpus="$(cat /sys/devices/system/cpu/online)"
# the client runs until told to stop (SIGTERM to perf alone, which tells
# its clients), so the resets need no fixed time
nvme-ring perf rst --rw randrw --bs 4k --depth 32 --time 300 --size 4M --verify \
	>/tmp/rst.out 2>&1 &
pid=$!

# completed_beyond N: waits up to 15 s for the ring's completions to pass
# N; prints the count
completed_beyond() {
	wait_for 15 value_is "$NRI_SYS/rst/completed" -gt "$1"
	echo "$last_value"
}
c0=$(completed_beyond 0)
[ "$c0" -gt 0 ] || fail "no I/O before the resets"
nvme reset "/dev/$ctrl" || fail "nvme reset /dev/$ctrl"
c1=$(completed_beyond "$c0")
echo 1 >"/sys/class/nvme/$ctrl/reset_controller" || fail "reset_controller"
c2=$(completed_beyond "$c1")
info "completed: $c0 before, $c1 after nvme reset, $c2 after reset_controller"
[ "$c1" -gt "$c0" ] || fail "no completions after nvme reset"
[ "$c2" -gt "$c1" ] || fail "no completions after reset_controller"
[ "$(cat "$NRI_SYS/rst/state")" = live ] || fail "state $(cat "$NRI_SYS/rst/state") after the resets"
c3=$(completed_beyond $((c2 + 1000)))
[ "$c3" -gt $((c2 + 1000)) ] || fail "the client stalled after the resets ($c2 -> $c3)"

kill -TERM "$pid"
exits_within "$pid" 30 || fail "nvme-ring perf still ran 30 s after SIGTERM"
rc=0
wait "$pid" || rc=$?
info "client: $(grep -m 1 -E 'errors|error' /tmp/rst.out | tr -s ' ')"
grep -q "verify: .* 0 mismatches" /tmp/rst.out || fail "mismatches: $(grep -i mismatch /tmp/rst.out)"
if [ "$rc" -ne 0 ]; then
	# failures may only be the commands the resets aborted
	msg=$(grep -m 1 'nvme-ring perf:' /tmp/rst.out)
	grep -qE "Abort|aborted|0x371|0x7" <<<"$msg" || fail "client failed: $msg"
	info "the client saw aborted commands: $msg"
fi
s=$(cat "$NRI_SYS/rst/submitted")
c=$(cat "$NRI_SYS/rst/completed")
[ "$(cat "$NRI_SYS/rst/inflight")" = 0 ] || fail "commands still in flight"
[ "$s" = "$c" ] || fail "submitted $s, completed $c"
nri-io --lba 100000 --nlb 256 --seed 71 write rst >/dev/null || fail "write after the resets"
nri-io --lba 100000 --nlb 256 --seed 71 verify rst >/dev/null || fail "verify after the resets"
ring_down rst
dmesg_clean
pass
