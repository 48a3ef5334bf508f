#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: ring-vs-uring.sh on an NVMe/TCP namespace: null_blk
# exported by nvmet-tcp on 127.0.0.1 and connected with nvme connect, so
# that both paths pay the same TCP transport on the same namespace. make
# bench boots with nvme_core.multipath=N, so that both reach the namespace
# itself rather than one of them a multipath head. Depths 1 and 32
# (BENCH_TCP_DEPTHS) keep the run short.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

NQN=nqn.2026-11.io.nvme-ring:bench-tcp
# I/O queues of 256 entries, not nvme's 128 (127 tags): a client at depth
# 128 would find the tags short, and io_uring passthrough on a 6.11 to
# 6.13.3 kernel then retries from a reused SQ slot and fails the read with
# EFAULT (Documentation/nvme_ring_io.rst, "io_uring before 6.13.4").
BENCH_QUEUE_SIZE=${BENCH_QUEUE_SIZE:-256}
require_module
native_multipath &&
	skip "native NVMe multipath is on: both paths would not reach the same device; boot with nvme_core.multipath=N (make bench does)"
# shellcheck disable=SC2317 # called through the trap
down() {
	nvme disconnect -n "$NQN" >/dev/null 2>&1
	fabrics_target_down "$NQN"
	modprobe -r nvme-tcp nvmet-tcp nvmet null_blk 2>/dev/null
}
trap down EXIT
modprobe null_blk nr_devices=1 queue_mode=2 gb=4 bs=512 irqmode=0 \
	submit_queues="$(online_cpus | wc -l)" || skip "no null_blk"
fabrics_target_up tcp "$NQN" /dev/nullb0 || skip "cannot export null_blk with nvmet-tcp"
ns=$(fabrics_connect tcp "$NQN" "$BENCH_QUEUE_SIZE") || skip "nvme connect -t tcp to 127.0.0.1 failed"
echo "== NVMe/TCP on 127.0.0.1: $ns (null_blk through nvmet-tcp and nvme-tcp)"
BENCH_NS=$ns BENCH_DEPTHS=${BENCH_TCP_DEPTHS:-"1 32"} "$(dirname "$0")/ring-vs-uring.sh"
