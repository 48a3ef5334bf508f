#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: rings on namespaces formatted with metadata, in both
# layouts, with and without protection information: GET_INFO and sysfs
# describe the format; verified writes and reads carry the metadata (and
# PI tuples) through slots, io_uring commands and nvme-ring perf; bad
# metadata offsets and lengths, and PI fields the format does not define,
# are refused; a guard corrupted with PRACT=0 and read with PRCHK set
# comes back as the End-to-end Guard Check Error; pi_check keeps clients
# from turning checks off.
# TOPOLOGY: meta
. "$(dirname "$0")/lib.sh"

ring_test nri-io nri-uring nvme-ring
cleanup_rings m0 m1 m2
all=$(cat /sys/devices/system/cpu/online)

rejected() { echo "^err $1 status 0x[0-9a-f]+ flags 0x1\$"; }
done_ok='^err 0 status 0x0000 flags 0x0$'

# meta_up NAME N [ATTR=VALUE...]: a ring on metadata namespace N, and the
# format it reports, checked against "SIZE LAYOUT PI" in $want
meta_up() {
	local name=$1 n=$2 ns got
	shift 2
	ns=$(meta_ns "$n") || exit 77	# meta_ns said why it skips
	ring_make "$name" device="/dev/$ns" cpus="$all" "$@"
	echo 1 >"$NRI_CFS/$name/enable" || fail "$name: enable on $ns"
	got="$(cat "$NRI_SYS/$name/metadata_size") $(cat "$NRI_SYS/$name/metadata_layout") $(cat "$NRI_SYS/$name/pi_type")"
	[ "$got" = "$want" ] || fail "$name: sysfs says '$got', want '$want'"
	info "$name on $ns: $got"
}

# meta_verify NAME INFO LBA SEED: GET_INFO's metadata line is INFO, and
# 256 blocks from LBA written and verified through slots and io_uring
meta_verify() {
	local name=$1 want_info=$2 lba=$3 seed=$4 out
	nri-io info "$name" | grep -q "^$want_info\$" ||
		fail "$name: GET_INFO: $(nri-io info "$name" | grep meta_size)"
	nri-io --lba "$lba" --nlb 256 --bs 8 --seed "$seed" write "$name" >/dev/null || fail "$name: write"
	nri-io --lba "$lba" --nlb 256 --bs 8 --seed "$seed" verify "$name" >/dev/null || fail "$name: verify"
	out=$(nri-uring cmd-meta "$name" 2>&1) || fail "$name: io_uring: $out"
}

# ---- 16 bytes of separate metadata, PI type 1 in its last 8 ----
want="16 separate 1"
meta_up m0 0
meta_verify m0 "meta_size 16 pi_type 1 pi_size 8 meta_flags 0x0" 8192 41
nvme-ring perf m0 --rw randrw --bs 4k --depth 8 --time 2 --size 1M --verify >/tmp/perf.out 2>&1 ||
	fail "m0: nvme-ring perf --verify: $(tail -n 5 /tmp/perf.out)"
grep -q "mismatches 0\|0 mismatches" /tmp/perf.out || info "perf: $(grep -i mismatch /tmp/perf.out)"

# a read of 8 blocks with guard and reference tag checks, and its buffers
rd=(--opcode 2 --cdw "12=$((0x14000007))" --data-len 4096)
meta=$((1 << 20))
cmd_expect "read with its metadata" "$done_ok" m0 "${rd[@]}" --meta-off "$meta" --meta-len 128
cmd_expect "read without its metadata" "$(rejected -22)" m0 "${rd[@]}"
cmd_expect "metadata 64 bytes short" "$(rejected -22)" m0 "${rd[@]}" --meta-off "$meta" --meta-len 64
cmd_expect "metadata not dword aligned" "$(rejected -14)" m0 "${rd[@]}" --meta-off $((meta + 2)) --meta-len 128
cmd_expect "metadata past the data area" "$(rejected -14)" m0 "${rd[@]}" --meta-off $((4 << 20)) --meta-len 128
cmd_expect "metadata on a flush" "$(rejected -22)" m0 --opcode 0 --meta-off "$meta" --meta-len 8
cmd_expect "storage tag field" "$(rejected -22)" m0 "${rd[@]}" --cdw 2=1 --meta-off "$meta" --meta-len 128
# type 1: the initial reference tag must be the LBA's; the device says so
cmd_expect "wrong initial reference tag" '^err -5 status 0x[0-9a-f]*181 flags 0x0$' m0 \
	"${rd[@]}" --cdw 14=77 --meta-off "$meta" --meta-len 128

# a bad guard, written unchecked, read checked: the device says so
nri-io --lba 4096 --nlb 8 --bs 8 --prinfo 0 --corrupt-guard write m0 >/dev/null ||
	fail "m0: write with a bad guard and no checks"
nri-io --lba 4096 --nlb 8 --bs 8 verify m0 >/tmp/guard.out 2>&1 &&
	fail "m0: a bad guard read back as success"
grep -q "End-to-end Guard Check Error" /tmp/guard.out || fail "m0: $(cat /tmp/guard.out)"
info "$(grep -m 1 status /tmp/guard.out)"

# pi_check: reads without the checks are refused
echo 0 >"$NRI_CFS/m0/enable"
echo 1 >"$NRI_CFS/m0/pi_check" || fail "pi_check write"
echo 1 >"$NRI_CFS/m0/enable" || fail "m0: enable with pi_check"
[ "$(cat "$NRI_SYS/m0/pi_check")" = 1 ] || fail "sysfs pi_check"
dmesg -c >/dev/null
cmd_expect "pi_check: a read without checks" "$(rejected -22)" m0 --opcode 2 --cdw "12=7" \
	--data-len 4096 --meta-off "$meta" --meta-len 128
dmesg | grep -q "m0: .*pi_check: PRCHK must include 0x5" || fail "no log line for pi_check"
cmd_expect "pi_check: a read with them" "$done_ok" m0 "${rd[@]}" --meta-off "$meta" --meta-len 128
nri-io --lba 8192 --nlb 64 --bs 8 --seed 41 verify m0 >/dev/null || fail "m0: verify under pi_check"
ring_down m0

# ---- 8 bytes of extended metadata, no PI (the block layer hides it) ----
want="8 extended 0"
meta_up m1 1
meta_verify m1 "meta_size 8 pi_type 0 pi_size 0 meta_flags 0x1" 100 42
cmd_expect "extended: 8 blocks in 4096 bytes" "$(rejected -22)" m1 --opcode 2 --cdw "12=7" --data-len 4096
cmd_expect "extended: 8 blocks in 4160 bytes" "$done_ok" m1 --opcode 2 --cdw "12=7" --data-len 4160
cmd_expect "extended: a separate buffer" "$(rejected -22)" m1 --opcode 2 --cdw "12=7" \
	--data-len 4160 --meta-off "$meta" --meta-len 64
cmd_expect "PRINFO without PI" "$(rejected -22)" m1 --opcode 2 --cdw "12=$((0x10000007))" --data-len 4160
echo 0 >"$NRI_CFS/m1/enable"
echo 1 >"$NRI_CFS/m1/pi_check"
dmesg -c >/dev/null
expect_write_fail 1 "$NRI_CFS/m1/enable"
dmesg | grep -q "m1: pi_check: the namespace has no protection information" || fail "no log line for pi_check without PI"
ring_down m1

# ---- 8 bytes of extended metadata, all PI, type 3, first ----
want="8 extended 3"
meta_up m2 2
meta_verify m2 "meta_size 8 pi_type 3 pi_size 8 meta_flags 0x3" 0 43
cmd_expect "type 3: reference tag check" "$(rejected -22)" m2 --opcode 2 --cdw "12=$((0x04000007))" --data-len 4160
# PRACT: the controller inserts and strips the tuples, blocks are bare
nri-io --lba 512 --nlb 64 --bs 8 --seed 44 --prinfo 8 write m2 >/dev/null || fail "m2: PRACT write"
nri-io --lba 512 --nlb 64 --bs 8 --seed 44 --prinfo 12 verify m2 >/dev/null || fail "m2: PRACT read with the guard checked"
nri-io --lba 512 --nlb 64 --bs 8 --seed 44 verify m2 >/dev/null || fail "m2: the tuples PRACT wrote do not check"
ring_down m2
dmesg_clean
pass
