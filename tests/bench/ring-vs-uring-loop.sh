#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: ring-vs-uring.sh again on an NVMe namespace with no device
# behind it (null_blk exported by nvmet, connected through nvme-loop), so
# that the figures show the software paths without the emulated device's
# cost. make bench boots with nvme_core.multipath=N, without which the
# loop namespace is a multipath head that rings do not bind.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

NQN=nqn.2026-11.io.nvme-ring:bench-loop
require_module
mp=$(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)
[ "$mp" = N ] || skip "native NVMe multipath is on (nvme_core.multipath=$mp): a loop namespace is a multipath head; boot with nvme_core.multipath=N (make bench does)"
# shellcheck disable=SC2317 # called through the trap
down() {
	loop_ns_down "$NQN"
}
trap down EXIT
loop=$(loop_ns_up "$NQN") || skip "cannot set up an nvme-loop namespace (nvmet, nvme-loop, null_blk)"
echo "== device-free target: $loop (null_blk through nvmet and nvme-loop)"
BENCH_NS=$loop "$(dirname "$0")/ring-vs-uring.sh"
