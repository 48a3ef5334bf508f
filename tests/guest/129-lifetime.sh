#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: teardown never races I/O. The administrator toggles enable
# every 50 ms for 15 s while four processes drive per-command io_uring
# reads and two SUBMIT through the SQ, all reopening the ring whenever it
# goes away: no oops or warning, every client sees only the errors of a
# ring going away, and the module holds nothing once the ring is removed.
. "$(dirname "$0")/lib.sh"

ring_test nri-hammer
cleanup_rings lt
ring_up lt cpus="$(cat /sys/devices/system/cpu/online)"
secs=${NRI_LIFETIME_SECONDS:-15}

pids=()
for i in 1 2 3 4; do
	nri-hammer cmd lt "$secs" >"/tmp/hammer$i.out" 2>&1 &
	pids+=($!)
done
# a queue has one user at a time: each SQ client its own
for i in 5 6; do
	nri-hammer submit lt "$secs" $((i - 5)) >"/tmp/hammer$i.out" 2>&1 &
	pids+=($!)
done

toggles=0
end=$((SECONDS + secs))
while [ "$SECONDS" -lt "$end" ]; do
	echo 0 >"$NRI_CFS/lt/enable" || fail "disable under load"
	sleep 0.05
	echo 1 >"$NRI_CFS/lt/enable" || fail "enable under load"
	sleep 0.05
	toggles=$((toggles + 1))
done
info "$toggles disable/enable cycles"

for i in "${!pids[@]}"; do
	n=$((i + 1))
	wait "${pids[$i]}" || fail "client $n: $(cat "/tmp/hammer$n.out")"
	info "client $n: $(tail -n 1 "/tmp/hammer$n.out")"
	grep -Eq ': [1-9][0-9]* done' "/tmp/hammer$n.out" || fail "client $n did no I/O"
done

echo 0 >"$NRI_CFS/lt/enable" || fail "final disable"
rmdir "$NRI_CFS/lt" || fail "rmdir"
nri_reload_held_nothing
pass
