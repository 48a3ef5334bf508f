#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: the compute machine of 'make demo-fabrics': connects to the
# storage machine's namespace with nvme connect over TCP, binds a ring to
# the remote namespace on every CPU, runs pinned verified clients on every
# queue (nvme-ring perf --verify), prints nvme-ring show and stat, takes
# it all down and tells the target it is done.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

NQN=nqn.2026-11.io.nvme-ring:demo-fabrics
tip=${DEMO_TARGET_IP:-10.11.0.1}
require_module
tell() {
	echo "$1" | nc -w 5 "$tip" 4421 >/dev/null 2>&1
}
trap 'tell "done failed"' EXIT
modprobe nvme-tcp || fail "modprobe nvme-tcp"
echo "== host: $(cat /etc/nvme/hostnqn) connecting to $NQN at $tip:4420"
ns=
for _ in $(seq 1 120); do
	if nvme connect -t tcp -a "$tip" -s 4420 -n "$NQN" >/dev/null 2>&1; then
		for _ in $(seq 1 100); do
			ns=$(fabrics_ns "$NQN") && break
			sleep 0.1
		done
		break
	fi
	sleep 1
done
[ -n "$ns" ] || fail "could not connect to $tip:4420"
nvme list-subsys "/dev/$ns" 2>/dev/null || nvme list
echo "== host: a ring on the remote namespace /dev/$ns"
nvme-ring create fab --device "/dev/$ns" --cpus "$(cat /sys/devices/system/cpu/online)" \
	--depth 64 --data-size 4M || fail "nvme-ring create"
nvme-ring show fab
echo "ring fab goes through controller $(cat /sys/class/nvme_ring_io/fab/controller)"
echo "== host: pinned verified clients on every queue"
nvme-ring perf fab --rw randrw --bs 4k --depth 16 --time "${DEMO_PERF_SECONDS:-10}" \
	--size 4M --verify || fail "nvme-ring perf"
echo "== host: nvme-ring stat"
nvme-ring stat fab
nvme-ring destroy fab || fail "nvme-ring destroy"
nvme disconnect -n "$NQN" || fail "nvme disconnect"
trap - EXIT
tell "done ok"
pass
