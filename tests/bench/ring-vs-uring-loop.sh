#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: ring-vs-uring.sh again on an NVMe namespace with no device
# behind it (null_blk exported by nvmet, connected through nvme-loop), so
# that the figures show the software paths without the emulated device's
# cost. make bench boots with nvme_core.multipath=N, so that io_uring
# passthrough and the ring both reach the namespace itself, not io_uring
# through a multipath head against the ring through one of its paths.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

NQN=nqn.2026-11.io.nvme-ring:bench-loop
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
	loop_ns_down "$NQN"
}
trap down EXIT
loop=$(loop_ns_up "$NQN" "$BENCH_QUEUE_SIZE") || skip "cannot set up an nvme-loop namespace (nvmet, nvme-loop, null_blk)"
echo "== device-free target: $loop (null_blk through nvmet and nvme-loop)"
BENCH_NS=$loop "$(dirname "$0")/ring-vs-uring.sh"
