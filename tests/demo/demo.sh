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

DEMO_STEPS="module nodes nvme hctx_map rings clients show stats teardown"
DEMO_RINGS=""

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

# One ring per NUMA node with CPUs and memory, made with nothing but
# mkdir and echo, as an administrator would.
# Each ring gets its own LBA window, so their clients never share blocks.
demo_rings() {
	echo "== rings through configfs"
	local n cpus ring ns nodes lbs win i=0
	ns=$(first_ns)
	lbs=$(cat "/sys/block/$ns/queue/logical_block_size")
	nodes=$(online_nodes | wc -l)
	win=$(($(cat "/sys/block/$ns/size") * 512 / lbs / nodes))
	for n in $(online_nodes); do
		cpus=$(cat "/sys/devices/system/node/node$n/cpulist")
		[ -n "$cpus" ] || continue
		[ "$(meminfo_node_kb "$n")" -gt 0 ] || continue
		ring=demo$n
		echo "+ mkdir $NRI_CFS/$ring"
		mkdir "$NRI_CFS/$ring" || return 1
		echo "+ cd $NRI_CFS/$ring; echo /dev/$ns > device; echo $cpus > cpus;" \
			"echo $n > numa_node; echo $((i * win)) > lba_start; echo $win > lba_count;" \
			"echo 1 > enable"
		echo "/dev/$ns" >"$NRI_CFS/$ring/device" &&
			echo "$cpus" >"$NRI_CFS/$ring/cpus" &&
			echo "$n" >"$NRI_CFS/$ring/numa_node" &&
			echo $((i * win)) >"$NRI_CFS/$ring/lba_start" &&
			echo "$win" >"$NRI_CFS/$ring/lba_count" &&
			echo 1 >"$NRI_CFS/$ring/enable" || return 1
		i=$((i + 1))
		ls -l "/dev/nvme_ring/$ring"
		DEMO_RINGS="$DEMO_RINGS $ring"
	done
}

# Pinned clients on every queue of every ring at once, verifying data.
demo_clients() {
	echo "== pinned clients on every queue, with verification"
	command -v nvme-ring >/dev/null || { echo "nvme-ring is not in the image"; return 1; }
	local ring pids="" rc=0 pid
	for ring in $DEMO_RINGS; do
		nvme-ring perf "$ring" --rw randrw --bs 4k --depth 16 --time 3 --verify \
			>"/tmp/$ring.perf" 2>&1 &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || rc=1
	done
	for ring in $DEMO_RINGS; do
		echo "-- $ring"
		cat "/tmp/$ring.perf"
	done
	return "$rc"
}

demo_show() {
	local ring
	for ring in $DEMO_RINGS; do
		echo "== nvme-ring show $ring"
		nvme-ring show "$ring"
	done
}

demo_stats() {
	local ring q
	for ring in $DEMO_RINGS; do
		echo "== $NRI_SYS/$ring/stat"
		cat "$NRI_SYS/$ring/stat"
		for q in $(ring_queues "$ring"); do
			echo "queue $q: CPUs $(qattr "$ring" "$q" cpus), hctx $(qattr "$ring" "$q" hctx)," \
				"NVMe queue $(qattr "$ring" "$q" nvme_qid), memory on node $(qattr "$ring" "$q" numa_node)," \
				"$(qattr "$ring" "$q" huge_pages) huge pages"
		done
	done
}

demo_teardown() {
	echo "== teardown"
	local ring
	for ring in $DEMO_RINGS; do
		echo "+ echo 0 > $NRI_CFS/$ring/enable; rmdir $NRI_CFS/$ring"
		echo 0 >"$NRI_CFS/$ring/enable" && rmdir "$NRI_CFS/$ring" || return 1
	done
}

demo_failed=0
for step in $DEMO_STEPS; do
	"demo_$step" || { echo "(step $step did not complete)"; demo_failed=1; }
	echo
done
[ "$demo_failed" = 0 ] || fail "a demo step failed"
pass
