#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: an NVMe controller with a namespace exists; the namespace has
# one blk-mq hardware context per I/O queue of its controller, and every
# online CPU appears in exactly one hardware context's cpu_list (per queue
# type: default, read, poll).
# TOPOLOGY: any

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

ctrls=$(nvme_controllers)
[ -n "$ctrls" ] || skip "no NVMe controller"
[ -n "$(nvme_namespaces)" ] || fail "controllers ($ctrls) but no namespace"

cpus=$(online_cpus)
checked=0
for ns in $(nvme_namespaces); do
	if [ ! -d "/sys/block/$ns/mq" ]; then
		info "$ns: no mq/ (a multipath head), not checked"
		continue
	fi
	ctrl=${ns%n*}
	qc=$(cat "/sys/class/nvme/$ctrl/queue_count") || fail "$ctrl: no queue_count"
	nr=$(ns_hctxs "$ns" | wc -l)
	info "$ns: controller $ctrl, $((qc - 1)) I/O queues, $nr hardware contexts"
	[ "$nr" -ge 1 ] || fail "$ns: no hardware context"
	# queue_count counts the admin queue too.
	[ "$nr" -eq $((qc - 1)) ] || fail "$ns: $nr hardware contexts for $((qc - 1)) I/O queues"

	# Count, per queue type, in how many cpu_lists each CPU appears.
	: >/tmp/cpumap
	for h in $(ns_hctxs "$ns"); do
		type=default
		tf=/sys/kernel/debug/block/$ns/hctx$h/type
		[ -r "$tf" ] && type=$(cat "$tf")
		list=$(tr -d ' ' <"/sys/block/$ns/mq/$h/cpu_list")
		info "$ns: hctx $h ($type): CPUs $list"
		for c in $(expand_list "$list"); do
			echo "$type $c" >>/tmp/cpumap
		done
	done
	cut -d' ' -f1 /tmp/cpumap | sort -u >/tmp/cputypes
	while read -r type; do
		for c in $cpus; do
			n=$(grep -c "^$type $c\$" /tmp/cpumap)
			[ "$n" -eq 1 ] || fail "$ns: CPU $c is in $n $type cpu_lists, expected 1"
		done
	done </tmp/cputypes
	checked=$((checked + 1))
done
[ "$checked" -ge 1 ] || skip "no NVMe namespace with blk-mq hardware contexts"
pass
