#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: the NUMA topology in sysfs is sane: at least one node, every
# online CPU belongs to exactly one node, and each node with CPUs has memory.
# TOPOLOGY: any

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

nodes=$(nr_nodes)
[ "$nodes" -ge 1 ] || fail "no online NUMA node"
[ -d /sys/devices/system/node ] || skip "kernel without NUMA sysfs"
info "$nodes node(s), CPUs $(cat /sys/devices/system/cpu/online)"

: >/tmp/cpunode
for n in $(online_nodes); do
	cpus=$(node_cpus "$n" | tr '\n' ' ')
	mem=$(awk '/MemTotal:/ { print $(NF - 1) }' "/sys/devices/system/node/node$n/meminfo")
	info "node $n: CPUs ${cpus:-none}, memory ${mem} kB"
	for c in $cpus; do
		echo "$c $n" >>/tmp/cpunode
	done
	if [ -n "$cpus" ] && [ "${mem:-0}" -le 0 ]; then
		fail "node $n has CPUs ($cpus) but no memory"
	fi
done

for c in $(online_cpus); do
	n=$(grep -c "^$c " /tmp/cpunode)
	[ "$n" -eq 1 ] || fail "CPU $c belongs to $n nodes, expected 1"
	[ "$(grep "^$c " /tmp/cpunode | cut -d' ' -f2)" = "$(node_of_cpu "$c")" ] ||
		fail "CPU $c: node cpulist and cpu$c/node link disagree"
done
pass
