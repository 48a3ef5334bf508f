#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: the 'make demo' tour of the test VM. Runs the steps listed in
# DEMO_STEPS, in order; each step is a function demo_<step>. A step that
# cannot run says why and the tour goes on. Add a step by writing its
# function and naming it in the list.

# The steps are called through their names.
# shellcheck disable=SC2317
true

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

DEMO_STEPS="module nodes nvme hctx_map"

demo_module() {
	echo "== module"
	require_module
	lsmod | grep "^$NRI_MODULE "
	[ -d /sys/kernel/config/nvme_ring_io ] &&
		echo "configfs: /sys/kernel/config/nvme_ring_io/ is there"
	return 0
}

demo_nodes() {
	echo "== NUMA nodes"
	local n mem
	for n in $(online_nodes); do
		mem=$(awk '/MemTotal:/ { print $(NF - 1) }' "/sys/devices/system/node/node$n/meminfo")
		echo "node $n: CPUs $(cat "/sys/devices/system/node/node$n/cpulist"), memory $((mem / 1024)) MiB"
	done
}

demo_nvme() {
	echo "== NVMe"
	local c
	for c in $(nvme_controllers); do
		echo "$c: $(sed 's/ *$//' "/sys/class/nvme/$c/model"), $(($(cat "/sys/class/nvme/$c/queue_count") - 1)) I/O queues"
	done
	nvme list 2>/dev/null || true
}

demo_hctx_map() {
	echo "== hardware queue -> CPUs"
	local ns h c
	for ns in $(nvme_namespaces); do
		[ -d "/sys/block/$ns/mq" ] || continue
		for h in $(ns_hctxs "$ns"); do
			c=$(tr -d ' ' <"/sys/block/$ns/mq/$h/cpu_list")
			echo "$ns hctx $h: CPUs $c"
		done
	done
}

for step in $DEMO_STEPS; do
	"demo_$step" || echo "(step $step did not complete)"
	echo
done
pass
