#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: an SQ poller whose client exits with a full CQ and a
# descriptor still queued sleeps (near 0% CPU) instead of spinning, and
# the next client of the queue gets the waiting command through.
. "$(dirname "$0")/lib.sh"

ring_test nri-hammer nri-io
cleanup_rings cf
ring_up cf cpus="$(cat /sys/devices/system/cpu/online)" sq_poll=1 sq_poll_idle_ms=10

out=$(nri-hammer cqfull cf 0 2>&1) || fail "cqfull: $out"
info "$out"
pid=$(sq_pollers cf 0)
[ -n "$pid" ] || fail "no poller thread nri_sqp/cf/0"

# utime + stime, in clock ticks (USER_HZ)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
sleep 1
t0=$(ticks)
sleep 5
t1=$(ticks)
info "poller CPU over 5 s with a full CQ: $((t1 - t0)) ticks"
[ $((t1 - t0)) -lt 50 ] || fail "the poller spins on a full CQ: $((t1 - t0)) ticks in 5 s"

# the next client reaps the full CQ and the queued flush completes
nri-io --queue 0 --nlb 8 write cf >/dev/null || fail "next client on the queue"
[ "$(qattr cf 0 inflight)" = 0 ] || fail "inflight $(qattr cf 0 inflight)"
pass
