#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: disabling, removing and unloading under I/O wait or refuse
# cleanly; clients see a clear error; a client killed mid-I/O (or one that
# mapped and never submitted) leaves a ring the next client can use.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

require_module
require_tool nri-io
trap 'ring_down td' EXIT

long_writer() {
	nri-io --lba 0 --nlb 400000 --bs 8 --depth 64 --loops 1000 --seed 50 write td >/tmp/lw.out 2>&1
	echo $? >/tmp/lw.rc
}

# writer_started: whether td has taken commands within 5 s (scaled on a
# slow kernel, where the client alone may take longer to start)
writer_started() {
	wait_for 5 value_is "$NRI_SYS/td/submitted" -gt 0
}

# disable under load
ring_up td
rm -f /tmp/lw.rc
long_writer &
writer_started || fail "writer did not start"
rmmod nvme_ring_io 2>/dev/null && fail "module unloaded under I/O"
echo 0 >"$NRI_CFS/td/enable" || fail "disable under I/O"
[ ! -e /dev/nvme_ring/td ] || fail "device node after disable"
wait
[ "$(cat /tmp/lw.rc)" != 0 ] || fail "client did not notice the ring going away"
grep -q "No such device" /tmp/lw.out || fail "client error unclear: $(cat /tmp/lw.out)"
info "client said: $(tail -n 1 /tmp/lw.out)"

# rmdir under load
echo 1 >"$NRI_CFS/td/enable" || fail "re-enable"
long_writer &
sleep 1
rmdir "$NRI_CFS/td" || fail "rmdir under I/O"
wait
[ "$(cat /tmp/lw.rc)" != 0 ] || fail "client did not notice rmdir"

# kill -9 with commands in flight: the next client takes the queue over
ring_up td nr_queues=1
nri-io --lba 0 --nlb 400000 --bs 8 --depth 64 --loops 1000 --seed 50 write td >/dev/null 2>&1 &
pid=$!
writer_started || fail "writer did not start"
kill -9 "$pid" || fail "no writer to kill"
wait
wait_for 5 value_is "$NRI_SYS/td/inflight" -eq 0 ||
	fail "$last_value commands of a killed client never completed"
s=$(cat "$NRI_SYS/td/submitted")
c=$(cat "$NRI_SYS/td/completed")
[ "$s" = "$c" ] || fail "submitted $s, completed $c after the kill"
nri-io --lba 5000 --nlb 256 --seed 51 write td >/dev/null || fail "write after a killed client"
nri-io --lba 5000 --nlb 256 --seed 51 verify td >/dev/null || fail "verify after a killed client"

# a client that mapped the ring and never submitted, killed
nri-io --hold 30 info td >/dev/null &
sleep 1
kill -9 $!
wait
nri-io --lba 5000 --nlb 256 --seed 51 verify td >/dev/null || fail "verify after an idle client died"
ring_down td
rmmod nvme_ring_io || fail "module busy after all rings went"
modprobe nvme_ring_io || fail "modprobe"
pass
