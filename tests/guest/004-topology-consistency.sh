#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: NVMe queues and NUMA nodes agree: a namespace has no more
# hardware contexts than online CPUs, its default contexts cover every
# online CPU, and when there are at least as many contexts as nodes with
# CPUs, each context's CPUs lie within one node (blk-mq spreads queues per
# node). Meant to run in several VM topologies.
# TOPOLOGY: any

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

ns=$(first_ns)
[ -d "/sys/block/$ns/mq" ] || skip "$ns has no blk-mq hardware contexts (multipath head)"

ncpus=$(online_cpus | wc -l)
cpu_nodes=0
for n in $(online_nodes); do
	[ -n "$(node_cpus "$n")" ] && cpu_nodes=$((cpu_nodes + 1))
done

default_hctxs=
for h in $(ns_hctxs "$ns"); do
	tf=/sys/kernel/debug/block/$ns/hctx$h/type
	if [ -r "$tf" ] && [ "$(cat "$tf")" != default ]; then
		continue
	fi
	default_hctxs="$default_hctxs $h"
done
nr=$(echo "$default_hctxs" | wc -w)
info "$ns: $nr default hardware contexts, $ncpus online CPUs, $cpu_nodes node(s) with CPUs"
[ "$nr" -ge 1 ] || fail "$ns: no default hardware context"
[ "$nr" -le "$ncpus" ] || fail "$ns: $nr hardware contexts for $ncpus CPUs"

covered=0
for h in $default_hctxs; do
	list=$(tr -d ' ' <"/sys/block/$ns/mq/$h/cpu_list")
	hnodes=
	for c in $(expand_list "$list"); do
		covered=$((covered + 1))
		hnodes="$hnodes $(node_of_cpu "$c")"
	done
	hnodes=$(echo "$hnodes" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
	info "$ns: hctx $h: CPUs $list, node(s) $hnodes"
	if [ "$nr" -ge "$cpu_nodes" ] && [ "$(echo "$hnodes" | wc -w)" -ne 1 ]; then
		fail "$ns: hctx $h spans nodes $hnodes"
	fi
done
[ "$covered" -eq "$ncpus" ] || fail "$ns: default contexts cover $covered CPUs, $ncpus online"
pass
