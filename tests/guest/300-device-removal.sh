#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the NVMe controller is removed under load: every command
# completes once (with an error when it could not run), the ring says dead,
# its client stops with a clear message, rmdir works, and after a PCI rescan
# a new ring works. Runs last: it takes the device away for a moment.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io
ctrl=${ns%n*}
bdf=$(basename "$(readlink -f "/sys/class/nvme/$ctrl/device")")
[ -e "/sys/bus/pci/devices/$bdf/remove" ] || skip "$ctrl is not a removable PCI device"
trap 'ring_down rmv; ring_down rmv2' EXIT

ring_up rmv cpus="$(cat /sys/devices/system/cpu/online)"
# long enough to outlast its slow start on a debug kernel: the removal
# ends it
nvme-ring perf rmv --rw randread --depth 32 --time $((30 * $(slow_factor))) \
	>/tmp/rmv.out 2>&1 &
pid=$!
wait_for 10 value_is "$NRI_SYS/rmv/submitted" -gt 0 ||
	fail "no I/O before the removal: $(cat /tmp/rmv.out)"
echo 1 >"/sys/bus/pci/devices/$bdf/remove" || fail "PCI remove"
rc=0
wait "$pid" || rc=$?
[ "$rc" != 0 ] || fail "the client did not notice the device going away"
grep -q "device went away\|No such device" /tmp/rmv.out || fail "unclear client message: $(tail -n 3 /tmp/rmv.out)"
info "client: $(grep -m1 'nvme-ring perf:' /tmp/rmv.out)"

[ "$(cat "$NRI_SYS/rmv/state")" = dead ] || fail "state $(cat "$NRI_SYS/rmv/state") after removal"
[ "$(cat "$NRI_SYS/rmv/inflight")" = 0 ] || fail "commands still in flight after removal"
s=$(cat "$NRI_SYS/rmv/submitted")
c=$(cat "$NRI_SYS/rmv/completed")
[ "$s" = "$c" ] || fail "submitted $s, completed $c"
[ "$(cat "$NRI_SYS/rmv/errors")" -gt 0 ] || fail "no command completed with an error"
nri-io --nlb 8 verify rmv >/dev/null 2>&1 && fail "I/O on a dead ring succeeded"
ring_down rmv

echo 1 >/sys/bus/pci/rescan
wait_for 10 test -b "/dev/$ns" || fail "/dev/$ns did not come back after the rescan"
ring_up rmv2
nri-io --nlb 64 --seed 70 write rmv2 >/dev/null || fail "write after rescan"
nri-io --nlb 64 --seed 70 verify rmv2 >/dev/null || fail "verify after rescan"
pass
