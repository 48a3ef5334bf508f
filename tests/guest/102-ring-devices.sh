#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: ring devices honour uid/gid/mode for a plain user; two rings
# share a namespace on disjoint CPUs; queue mapping matches blk-mq's
# cpu_list; a ring on node 1 has its memory on node 1.
. "$(dirname "$0")/lib.sh"

ring_test nri-io
trap 'ring_down perm; ring_down lo; ring_down hi; ring_down n1' EXIT

# permissions: 0600 root only; 0660 with the user's group lets it in
ring_up perm mode=0600
[ "$(stat -c '%A %u %g' /dev/nvme_ring/perm)" = "crw------- 0 0" ] ||
	fail "mode 0600: $(stat -c '%A %u %g' /dev/nvme_ring/perm)"
if run_as_user nri-io info perm >/dev/null 2>&1; then
	fail "plain user opened a 0600 root ring"
fi
ring_down perm
ring_up perm mode=0660 gid=1000
[ "$(stat -c '%A %u %g' /dev/nvme_ring/perm)" = "crw-rw---- 0 1000" ] ||
	fail "owner/mode: $(stat -c '%A %u %g' /dev/nvme_ring/perm)"
run_as_user nri-io info perm >/dev/null || fail "plain user in the ring's group was refused"
run_as_user nri-io --nlb 8 write perm >/dev/null || fail "plain user I/O"
ring_down perm
ring_up perm uid=1000 mode=0600
run_as_user nri-io info perm >/dev/null || fail "owning user was refused"
ring_down perm

# two rings, disjoint CPU sets, one namespace
read -ra cpus <<<"$(online_cpus | tr '\n' ' ')"
[ "${#cpus[@]}" -ge 2 ] || skip "needs two CPUs"
half=$((${#cpus[@]} / 2))
lo=$(IFS=,; echo "${cpus[*]:0:half}")
hi=$(IFS=,; echo "${cpus[*]:half}")
ring_up lo cpus="$lo"
ring_up hi cpus="$hi"
nri-io --lba 0 --nlb 64 --seed 3 write lo >/dev/null || fail "write via lo"
nri-io --lba 64 --nlb 64 --seed 4 write hi >/dev/null || fail "write via hi"
nri-io --lba 0 --nlb 64 --seed 3 verify hi >/dev/null || fail "hi reads what lo wrote"
nri-io --lba 64 --nlb 64 --seed 4 verify lo >/dev/null || fail "lo reads what hi wrote"

# every queue's CPUs are served by the hardware contexts it names, and the
# default split is one queue per hardware context
for r in lo hi; do
	seen=""
	for q in $(ring_queues "$r"); do
		qc=$(qattr "$r" "$q" cpus)
		qh=$(qattr "$r" "$q" hctx)
		for c in $(expand_list "$qc"); do
			h=$(ns_hctx_of_cpu "$ns" "$c") || fail "CPU $c has no hctx"
			echo ",$qh," | grep -q ",$h," ||
				fail "$r queue $q: CPU $c is served by hctx $h, sysfs says $qh"
		done
		[ "$(qattr "$r" "$q" nvme_qid)" = $((qh + 1)) ] ||
			fail "$r queue $q: nvme_qid $(qattr "$r" "$q" nvme_qid) for hctx $qh"
		echo " $seen " | grep -q " $qh " && fail "$r: hctx $qh has two queues"
		seen="$seen $qh"
	done
	if [ "$r" = lo ]; then rc=$lo; else rc=$hi; fi
	want=$(for c in $(expand_list "$rc"); do
		ns_hctx_of_cpu "$ns" "$c"
	done | sort -u | wc -l)
	[ "$(cat "$NRI_SYS/$r/nr_queues")" = "$want" ] ||
		fail "$r: $(cat "$NRI_SYS/$r/nr_queues") queues for $want hardware contexts"
done
ring_down lo
ring_down hi

# explicit nr_queues: all CPUs shared out, none twice
n=$(online_cpus | wc -l)
ring_up lo nr_queues=1 cpus="$(cat /sys/devices/system/cpu/online)"
[ "$(qattr lo 0 cpus)" = "$(cat /sys/devices/system/cpu/online)" ] ||
	fail "nr_queues=1 queue has CPUs $(qattr lo 0 cpus)"
ring_down lo
ring_up lo nr_queues="$n" cpus="$(cat /sys/devices/system/cpu/online)"
[ "$(ring_queues lo | wc -l)" = "$n" ] || fail "nr_queues=$n"
ring_down lo
mkdir "$NRI_CFS/lo"
echo "/dev/$ns" >"$NRI_CFS/lo/device"
echo 0 >"$NRI_CFS/lo/cpus"
echo 2 >"$NRI_CFS/lo/nr_queues"
expect_write_fail 1 "$NRI_CFS/lo/enable"
ring_down lo

# memory on the node asked for
for node in $(online_nodes); do
	[ "$(meminfo_node_kb "$node")" -gt 0 ] || continue
	[ -n "$(cat "/sys/devices/system/node/node$node/cpulist")" ] || continue
	ring_up n1 numa_node="$node"
	[ "$(cat "$NRI_SYS/n1/numa_node")" = "$node" ] || fail "ring numa_node"
	for q in $(ring_queues n1); do
		[ "$(qattr n1 "$q" numa_node)" = "$node" ] ||
			fail "node $node ring: queue $q memory on node $(qattr n1 "$q" numa_node)"
		for c in $(expand_list "$(qattr n1 "$q" cpus)"); do
			[ "$(node_of_cpu "$c")" = "$node" ] ||
				fail "node $node ring: default CPUs include CPU $c of node $(node_of_cpu "$c")"
		done
	done
	nri-io --nlb 16 write n1 >/dev/null || fail "I/O on node $node ring"
	ring_down n1
done
pass
