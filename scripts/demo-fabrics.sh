#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make demo-fabrics': rings beyond one machine, on this one. Two test VMs
# joined by a QEMU socket network on the host's loopback: the storage VM
# (2 CPUs, one NVMe controller) exports its namespace with nvmet over TCP
# (tests/demo/fabrics-target.sh); the compute VM (4 CPUs in 2 nodes, no
# NVMe of its own, native multipath as Debian's kernel has it) connects
# with nvme connect, binds a ring to the remote namespace (a multipath
# head) and runs pinned verified clients on every
# queue, then prints nvme-ring show and stat (tests/demo/fabrics-host.sh).
# Both consoles are shown, one after the other; the exit status is
# non-zero when either side failed.
#
# DEMO_PORT (default 10000 + this process's id mod 1000) is the host TCP
# port the VMs' network uses; DEMO_PERF_SECONDS (10) how long the clients
# run.

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
port=${DEMO_PORT:-$((10000 + $$ % 1000))}
logs=$top/build/demo-fabrics
mkdir -p "$logs"

echo "demo-fabrics: storage VM 10.11.0.1, compute VM 10.11.0.2, joined on 127.0.0.1:$port"
VM_NET=listen:$port VM_NET_IP=10.11.0.1 VM_CPUS=2 VM_NODES=1 VM_NVME=1 \
	VM_LOG=$logs/target.console TEST_TIMEOUT=900 \
	scripts/vm-test.sh --show tests/demo/fabrics-target.sh >"$logs/target.out" 2>&1 &
target=$!
# the listening side must be up before the other connects
for _ in $(seq 1 100); do
	ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
	sleep 0.2
done
VM_NET=connect:$port VM_NET_IP=10.11.0.2 VM_CPUS=4 VM_NODES=2 VM_NVME=0 \
	VM_LOG=$logs/host.console TEST_TIMEOUT=900 \
	scripts/vm-test.sh --show tests/demo/fabrics-host.sh >"$logs/host.out" 2>&1
hrc=$?
wait "$target"
trc=$?
echo "===== storage VM (nvmet-tcp target) ====="
cat "$logs/target.out"
echo "===== compute VM (nvme-tcp host, ring, clients) ====="
cat "$logs/host.out"
echo "demo-fabrics: storage VM exit $trc, compute VM exit $hrc; logs in $logs/"
[ "$trc" = 0 ] && [ "$hrc" = 0 ]
