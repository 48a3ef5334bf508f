#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: every configfs attribute takes its good values and refuses bad
# ones with an error and a log line naming the attribute.
# TOPOLOGY: memless
. "$(dirname "$0")/lib.sh"

require_module
ns=$(first_ns)
r=$NRI_CFS/attrs
trap 'ring_down attrs' EXIT

[ -r "$NRI_CFS/features" ] || fail "no features file"
for a in device cpus numa_node nr_queues sq_entries cq_entries data_size \
	hugepages uid gid mode lba_start lba_count opcodes enable; do
	grep -qw "$a" "$NRI_CFS/features" || fail "features lacks $a"
done

mkdir "$r" || fail "mkdir"
read -ra feats <"$NRI_CFS/features"
for a in "${feats[@]}"; do
	[ -e "$r/$a" ] || fail "attribute $a missing"
done

# defaults
[ "$(cat "$r/enable")" = 0 ] || fail "enable default"
[ "$(cat "$r/numa_node")" = -1 ] || fail "numa_node default"
[ "$(cat "$r/sq_entries")" = 256 ] || fail "sq_entries default"
[ "$(cat "$r/cq_entries")" = 256 ] || fail "cq_entries default"
[ "$(cat "$r/data_size")" = 4194304 ] || fail "data_size default"
[ "$(cat "$r/mode")" = 0600 ] || fail "mode default $(cat "$r/mode")"
grep -q read "$r/opcodes" || fail "opcodes default"

# logged: the attribute write fails and dmesg names attribute and value
expect_logged_fail() {
	local val=$1 attr=$2 pat=$3
	dmesg -c >/dev/null
	expect_write_fail "$val" "$r/$attr"
	dmesg | grep -q "$pat" || fail "$attr='$val': no log line matching '$pat'"
}

# device
expect_write_fail /dev/does-not-exist "$r/device"
expect_logged_fail /dev/null device "/dev/null is not an NVMe namespace"
expect_write_fail "" "$r/device"
if modprobe null_blk nr_devices=1 2>/dev/null && [ -b /dev/nullb0 ]; then
	expect_logged_fail /dev/nullb0 device "nullb0 is not an NVMe namespace"
	rmmod null_blk
else
	fail "null_blk is not available to provide a non-NVMe block device"
fi
expect_write_ok "/dev/$ns" "$r/device"
[ "$(cat "$r/device")" = "/dev/$ns" ] || fail "device readback"
ng=$(ns_generic_dev "$ns")
if [ -c "$ng" ]; then
	expect_write_ok "$ng" "$r/device"
	expect_write_ok "/dev/$ns" "$r/device"
fi
ctrl=/dev/${ns%n*}
[ -c "$ctrl" ] && expect_logged_fail "$ctrl" device "not an NVMe namespace"

# cpus
last=$(online_cpus | tail -n 1)
expect_logged_fail 4096 cpus "cpus:"
expect_logged_fail "" cpus "empty CPU list"
expect_logged_fail "x-y" cpus "cpus:"
expect_write_ok "0-$last" "$r/cpus"
expect_write_ok auto "$r/cpus"
[ -z "$(tr -d '\n' <"$r/cpus")" ] || fail "cpus after auto: $(cat "$r/cpus")"
expect_write_ok 0 "$r/cpus"
if [ "$last" -gt 0 ] && [ -w "/sys/devices/system/cpu/cpu$last/online" ]; then
	echo 0 >"/sys/devices/system/cpu/cpu$last/online" || fail "offlining CPU $last"
	expect_logged_fail "$last" cpus "CPU $last is offline"
	echo 1 >"/sys/devices/system/cpu/cpu$last/online" || fail "onlining CPU $last"
	expect_write_ok "$last" "$r/cpus"
fi

# numa_node
expect_logged_fail 64 numa_node "node 64 is out of range"
expect_logged_fail -2 numa_node "numa_node:"
expect_logged_fail abc numa_node "not a number"
expect_write_ok -1 "$r/numa_node"
memless=""
for n in $(online_nodes); do
	if [ "$(meminfo_node_kb "$n")" -gt 0 ]; then
		expect_write_ok "$n" "$r/numa_node"
	else
		expect_logged_fail "$n" numa_node "has no memory"
		memless=$n
	fi
done
expect_write_ok -1 "$r/numa_node"
if [ -n "$memless" ]; then
	# a memoryless node's CPUs: automatic placement takes the nearest
	# node with memory
	mc=$(node_cpus "$memless" | head -n 1)
	expect_write_ok "$mc" "$r/cpus"
	expect_write_ok 1 "$r/enable"
	got=$(cat "$NRI_SYS/attrs/numa_node")
	[ "$(meminfo_node_kb "$got")" -gt 0 ] || fail "ring on memoryless node $got"
	info "CPU $mc of memoryless node $memless: ring memory on node $got"
	expect_write_ok 0 "$r/enable"
	expect_write_ok 0 "$r/cpus"
	# an anonymous ring SETUP from there, without a node: the same
	out=$(taskset -c "$mc" nri-io info "setup:/dev/$ns" 2>&1) ||
		fail "anonymous SETUP on CPU $mc of memoryless node $memless: $out"
	got=$(sed -n 's/.* node \([0-9]*\) mem_node.*/\1/p' <<<"$out")
	if [ -z "$got" ] || [ "$(meminfo_node_kb "$got")" -eq 0 ]; then
		fail "anonymous ring from CPU $mc on node '$got': $out"
	fi
	info "anonymous SETUP on CPU $mc: ring memory on node $got"
else
	info "no memoryless node here (VM_MEMLESS_NODE=1 makes one)"
fi

# sizes
for a in sq_entries cq_entries; do
	expect_logged_fail 100 "$a" "100 is not a power of two"
	expect_logged_fail 0 "$a" "$a"
	expect_logged_fail 1 "$a" "$a"
	expect_logged_fail 65536 "$a" "$a"
	expect_logged_fail 4294967296 "$a" "$a"
	expect_logged_fail -1 "$a" "$a"
	expect_write_ok 64 "$r/$a"
	expect_write_ok 256 "$r/$a"
done
expect_logged_fail 0 data_size "data_size"
expect_logged_fail 1T data_size "outside"
expect_logged_fail 4Q data_size "not a size"
expect_write_ok 3M "$r/data_size"
[ "$(cat "$r/data_size")" = 4194304 ] || fail "data_size not rounded up to 2 MiB"
expect_write_ok 4M "$r/data_size"
expect_logged_fail 100000 nr_queues "nr_queues"
expect_write_ok 0 "$r/nr_queues"
expect_logged_fail 2 hugepages "hugepages"
expect_write_ok 0 "$r/hugepages"
expect_logged_fail 0888 mode "mode"
expect_logged_fail 01777 mode "mode"
expect_write_ok 0660 "$r/mode"
expect_logged_fail -1 uid "uid"
expect_logged_fail 4294967295 uid "uid"
expect_write_ok 1000 "$r/uid"
expect_logged_fail bob gid "gid"
expect_write_ok 1000 "$r/gid"
expect_logged_fail x lba_start "lba_start"
expect_logged_fail frobnicate opcodes "not an NVMe I/O opcode"
expect_logged_fail 0x7f opcodes "0x7f"
expect_logged_fail 0x100 opcodes "0x100"
expect_logged_fail "" opcodes "empty list"
expect_write_ok "read,write,0x04" "$r/opcodes"
grep -q "write_uncor" "$r/opcodes" || fail "opcodes readback: $(cat "$r/opcodes")"
expect_write_ok "read,write,flush,write_zeroes,dsm,compare" "$r/opcodes"
expect_logged_fail maybe enable "enable"

# LBA window beyond the namespace is refused at enable
nlb=$(cat "/sys/block/$ns/size")
expect_write_ok "$((nlb * 2))" "$r/lba_start"
expect_logged_fail 1 enable "beyond the namespace"
expect_write_ok 0 "$r/lba_start"

# enable; then everything else is busy, and enabling twice is refused
expect_write_ok 1 "$r/enable"
[ "$(cat "$r/enable")" = 1 ] || fail "enable readback"
for a in device cpus numa_node nr_queues sq_entries cq_entries data_size \
	hugepages uid gid mode lba_start lba_count opcodes; do
	expect_logged_fail "$(cat "$r/$a")" "$a" "ring is enabled"
done
expect_logged_fail 1 enable "already enabled"
expect_write_ok 0 "$r/enable"
expect_write_ok 0 "$r/enable"
expect_write_ok 64 "$r/sq_entries"

# hugepages=1 with more 2 MiB pages than the node has: enable fails cleanly
expect_write_ok 1 "$r/hugepages"
expect_write_ok 0 "$r/numa_node"
expect_write_ok 0 "$r/cpus"
expect_write_ok 1G "$r/data_size"
expect_logged_fail 1 enable "no 2 MiB page"
[ ! -e /dev/nvme_ring/attrs ] || fail "device node left behind by a failed enable"
[ ! -e "$NRI_SYS/attrs" ] || fail "sysfs directory left behind by a failed enable"
expect_write_ok 4M "$r/data_size"
expect_write_ok 1 "$r/enable"
[ "$(qattr attrs 0 huge_pages)" -ge 1 ] || fail "hugepages=1 ring without huge pages"
expect_write_ok 0 "$r/enable"

pass
