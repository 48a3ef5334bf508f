#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the design's sample program, nvme_ring_io_test, runs on the
# first namespace: anonymous ring set up with an io_uring, data area
# registered as fixed buffers, a batch of reads submitted and completed,
# statistics read back; it exits 0 and the anonymous ring is gone after.
. "$(dirname "$0")/lib.sh"

ring_test nvme_ring_io_test

nvme_ring_io_test "/dev/$ns" >/tmp/sample.txt 2>&1
rc=$?
cat /tmp/sample.txt
[ "$rc" -eq 0 ] || fail "nvme_ring_io_test exited $rc"
grep -q "registered as fixed buffer" /tmp/sample.txt || fail "data area not registered with io_uring"
[ "$(grep -c '^cqe: read .* ok' /tmp/sample.txt)" -eq 8 ] || fail "not 8 successful reads"
grep -q '^stats: submitted 8 completed 8 errors 0' /tmp/sample.txt || fail "statistics do not show 8 reads"
grep -q '^ok$' /tmp/sample.txt || fail "no closing ok"

# a second LBA, and the ring does not outlive the program
expect_ok nvme_ring_io_test "/dev/$ns" 4096 >/dev/null
for d in "$NRI_SYS"/anon.*; do
	[ -e "$d" ] && fail "anonymous ring $d survived its program"
done
# a bad argument: non-zero exit and a usage line
rc=0
nvme_ring_io_test 2>/tmp/err.txt || rc=$?
[ "$rc" -ne 0 ] || fail "no argument: exit 0"
grep -q usage /tmp/err.txt || fail "no usage message"
dmesg_clean
pass
