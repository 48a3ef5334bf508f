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
require_module
native_multipath &&
	skip "native NVMe multipath is on: both paths would not reach the same device; boot with nvme_core.multipath=N (make bench does)"
# shellcheck disable=SC2317 # called through the trap
down() {
	loop_ns_down "$NQN"
}
trap down EXIT
loop=$(loop_ns_up "$NQN") || skip "cannot set up an nvme-loop namespace (nvmet, nvme-loop, null_blk)"
echo "== device-free target: $loop (null_blk through nvmet and nvme-loop)"
BENCH_NS=$loop "$(dirname "$0")/ring-vs-uring.sh"
