#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nvme-ring refuses bad arguments with a non-zero exit and a
# message naming the problem, and a refused create leaves nothing behind.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
name=nr201

cleanup_rings "$name"

# must_fail PATTERN CMD...: CMD exits non-zero, its stderr matches PATTERN,
# and no ring is left behind
must_fail() {
	expect_fail_msg "$@"
	shift
	[ ! -d "$NRI_CFS/$name" ] || fail "'$*' left $NRI_CFS/$name behind"
}

must_fail "missing --device" nvme-ring create "$name"
must_fail "missing ring NAME" nvme-ring create --device "/dev/$ns"
must_fail "unrecognized option" nvme-ring create "$name" --device "/dev/$ns" --bogus
must_fail "not a CPU list" nvme-ring create "$name" --device "/dev/$ns" --cpus abc
must_fail "refused \\(attribute cpus\\)" nvme-ring create "$name" --device "/dev/$ns" --cpus 0-999
must_fail "refused \\(attribute device\\)" nvme-ring create "$name" --device /dev/null
grep -q "kernel: .*not an NVMe namespace" /tmp/err.txt || fail "the kernel's reason is not shown"
must_fail "refused \\(attribute device\\)" nvme-ring create "$name" --device /dev/nonexistent
must_fail "refused \\(attribute sq_entries\\)" nvme-ring create "$name" --device "/dev/$ns" --depth 100
grep -q "hint: --depth takes a power of two" /tmp/err.txt || fail "no hint for --depth"
must_fail "refused \\(attribute data_size\\)" nvme-ring create "$name" --device "/dev/$ns" --data-size 5G
must_fail "refused \\(attribute opcodes\\)" nvme-ring create "$name" --device "/dev/$ns" --opcodes read,frobnicate
must_fail "refused \\(attribute mode\\)" nvme-ring create "$name" --device "/dev/$ns" --mode 9999
must_fail "unknown user" nvme-ring create "$name" --device "/dev/$ns" --owner nosuchuser
must_fail "not a valid ring name" nvme-ring create "anon.1" --device "/dev/$ns"
must_fail "unknown command" nvme-ring frobnicate
must_fail "no ring named" nvme-ring show nosuchring
must_fail "no ring named" nvme-ring stat nosuchring
must_fail "no ring named" nvme-ring destroy nosuchring
must_fail "no enabled ring" nvme-ring perf nosuchring --time 1
must_fail "unknown output format" nvme-ring list -o yaml
must_fail "--rw" nvme-ring perf x --rw sideways
must_fail "--time and --ios" nvme-ring perf x --time 1 --ios 5

# help works for every command and exits 0
for c in create destroy list show stat perf; do
	nvme-ring "$c" --help | grep -q "^Usage: nvme-ring $c" || fail "$c --help"
done
nvme-ring --help | grep -q "^Usage:" || fail "--help"

# a ring that exists: perf argument checks against it
nvme-ring create "$name" --device "/dev/$ns" --depth 16 --data-size 2M >/dev/null ||
	fail "create $name"
expect_fail_msg "depth 64 is above" nvme-ring perf "$name" --depth 64 --ios 10
expect_fail_msg "not a multiple" nvme-ring perf "$name" --bs 1000 --ios 10
expect_fail_msg "does not fit" nvme-ring perf "$name" --depth 16 --bs 256k --ios 10
nvme-ring destroy "$name" >/dev/null || fail "destroy $name"

# the module gone: the tool says what to do
rmmod "$NRI_MODULE" || fail "rmmod"
rc=0
nvme-ring list 2>/tmp/err.txt || rc=$?
modprobe "$NRI_MODULE" || fail "modprobe"
[ "$rc" -ne 0 ] || fail "list without the module succeeded"
grep -q "modprobe nvme_ring_io" /tmp/err.txt || fail "no modprobe advice: $(cat /tmp/err.txt)"
dmesg_clean
pass
