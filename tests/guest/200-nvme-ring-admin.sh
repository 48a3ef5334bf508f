#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nvme-ring create/list/show/stat/destroy: the ring appears
# with the requested attributes, -o json parses back (field by field) and
# matches sysfs, stat with an interval reports rates, destroy removes it.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
name=nr200
cpus=$(cat /sys/devices/system/cpu/online)

cleanup_rings "$name"

# jvals KEY: the values of "KEY": on stdin (one field per line), in order
jvals() {
	sed -n -e "s/^ *\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" \
		-e "s/^ *\"$1\": \([^\",]*\),\{0,1\}\$/\1/p"
}

# jfield FILE KEY: the first value of KEY in FILE
jfield() {
	jvals "$2" <"$1" | head -n 1
}

# json_ok FILE: braces and brackets balance, every line is a JSON line
json_ok() {
	local o c
	o=$(tr -cd '{[' <"$1" | wc -c)
	c=$(tr -cd '}]' <"$1" | wc -c)
	[ "$o" -eq "$c" ] || fail "$1: $o openings, $c closings"
	head -c 1 "$1" | grep -q '{' || fail "$1: does not start with {"
	if grep -vE '^ *("[a-z_0-9]+": )?([{[]|[]}],?|\[\],?|\{\},?|"[^"]*",?|-?[0-9.]+,?|true,?|false,?)$' "$1"; then
		fail "$1: lines above are not JSON of the expected shape"
	fi
}

nvme-ring create "$name" --device "/dev/$ns" --cpus "$cpus" --depth 64 \
	--data-size 2M --mode 0660 --opcodes read,write,flush ||
	fail "nvme-ring create failed"
[ -c "/dev/nvme_ring/$name" ] || fail "/dev/nvme_ring/$name did not appear"
[ "$(cat "$NRI_CFS/$name/enable")" = 1 ] || fail "ring is not enabled"
[ "$(cat "$NRI_CFS/$name/sq_entries")" = 64 ] || fail "sq_entries is not 64"
[ "$(cat "$NRI_CFS/$name/cq_entries")" = 64 ] || fail "cq_entries is not 64"
[ "$(cat "$NRI_CFS/$name/mode")" = 0660 ] || fail "mode is not 0660"
info "created: $(nvme-ring list | grep "^$name ")"

# create again: refused, the ring stays
expect_fail nvme-ring create "$name" --device "/dev/$ns"
[ -c "/dev/nvme_ring/$name" ] || fail "a refused second create removed the ring"

nvme-ring list >/tmp/list.txt || fail "list failed"
grep -q "^$name " /tmp/list.txt || fail "list does not show $name"
nvme-ring list -o json >/tmp/list.json || fail "list -o json failed"
json_ok /tmp/list.json
grep -q "\"name\": \"$name\"" /tmp/list.json || fail "list json lacks $name"

nvme-ring show "$name" || fail "show failed"
nvme-ring show "$name" -o json >/tmp/show.json || fail "show -o json failed"
json_ok /tmp/show.json
nq=$(cat "$NRI_SYS/$name/nr_queues")
[ "$(jfield /tmp/show.json nr_queues)" = "$nq" ] || fail "json nr_queues $(jfield /tmp/show.json nr_queues) != sysfs $nq"
[ "$(jfield /tmp/show.json state)" = "$(cat "$NRI_SYS/$name/state")" ] || fail "json state differs from sysfs"
[ "$(jfield /tmp/show.json nsid)" = "$(cat "$NRI_SYS/$name/nsid")" ] || fail "json nsid differs from sysfs"
[ "$(jfield /tmp/show.json controller)" = "$(cat "$NRI_SYS/$name/controller")" ] || fail "json controller differs from sysfs"
[ "$(jfield /tmp/show.json path_changes)" = 0 ] || fail "json path_changes '$(jfield /tmp/show.json path_changes)' on a fresh ring"
nvme-ring show "$name" | grep -qx "path: *$(cat "$NRI_SYS/$name/controller")" || fail "show names no path: $(nvme-ring show "$name" | grep path)"
[ "$(jfield /tmp/show.json opcodes)" = "$(cat "$NRI_CFS/$name/opcodes")" ] || fail "json opcodes differ from configfs"
[ "$(grep -c '"queue": ' /tmp/show.json)" -eq "$nq" ] || fail "json has not $nq queue objects"
# queue by queue: the per-queue fields equal sysfs (queue objects in order)
for q in $(seq 0 $((nq - 1))); do
	for f in cpus hctx nvme_qid numa_node huge_pages sq_entries data_size; do
		want=$(cat "$NRI_SYS/$name/queues/$q/$f")
		got=$(sed -n '/"queues": \[/,$p' /tmp/show.json | jvals "$f" |
			sed -n "$((q + 1))p")
		[ "$got" = "$want" ] || fail "queue $q: json $f '$got' != sysfs '$want'"
	done
done

# some I/O, then the counters agree
if command -v nri-io >/dev/null; then
	nri-io --nlb 64 --bs 8 write "$name" >/dev/null || fail "nri-io write"
fi
nvme-ring stat "$name" || fail "stat failed"
nvme-ring stat "$name" -o json >/tmp/stat.json || fail "stat -o json failed"
json_ok /tmp/stat.json
sub=$(sed -n '/"total"/,$p' /tmp/stat.json | sed -n 's/^ *"submitted": \([0-9]*\),\{0,1\}$/\1/p')
[ "$sub" = "$(cat "$NRI_SYS/$name/submitted")" ] || fail "stat total submitted $sub != sysfs $(cat "$NRI_SYS/$name/submitted")"

nvme-ring stat "$name" --interval 0.5 --count 2 >/tmp/rates.txt || fail "stat --interval failed"
[ "$(grep -c '^ring ' /tmp/rates.txt)" -eq 2 ] || fail "stat --count 2 did not print 2 reports"
grep -q '^total' /tmp/rates.txt || fail "stat rates have no total line"
nvme-ring stat "$name" -i 0.2 -c 1 -o json >/tmp/rates.json || fail "stat -i -o json failed"
json_ok /tmp/rates.json
grep -q '"iops": ' /tmp/rates.json || fail "stat json rates lack iops"

nvme-ring destroy "$name" || fail "destroy failed"
[ ! -e "/dev/nvme_ring/$name" ] || fail "device node survived destroy"
[ ! -d "$NRI_CFS/$name" ] || fail "configfs directory survived destroy"
[ ! -d "$NRI_SYS/$name" ] || fail "sysfs directory survived destroy"
expect_fail nvme-ring show "$name"
expect_fail nvme-ring destroy "$name"
dmesg_clean
pass
