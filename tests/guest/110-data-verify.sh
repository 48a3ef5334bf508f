#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: data written through a ring reads back through the ring and
# through independent paths (dd on the block device, nvme-cli), and data
# written by those paths reads back through the ring.
# TOPOLOGY: any
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nri-io
lbs=$(cat "/sys/block/$ns/queue/logical_block_size")
trap 'ring_down dv' EXIT
ring_up dv

# ring -> ring, several command sizes and depths
nri-io --lba 0 --nlb 512 --bs 8 --depth 32 --seed 11 write dv || fail "write"
nri-io --lba 0 --nlb 512 --bs 8 --depth 32 --seed 11 verify dv || fail "verify"
nri-io --lba 0 --nlb 512 --bs 1 --depth 64 --seed 11 verify dv || fail "verify 1-LBA commands"
nri-io --lba 0 --nlb 512 --bs 128 --depth 4 --seed 11 verify dv || fail "verify 128-LBA commands"
max=$(nri-io info dv | awk '/max_transfer/ { for (i = 1; i < NF; i++) if ($i == "max_transfer") print $(i + 1) }')
big=$((max / lbs))
[ "$big" -gt 0 ] || fail "max_transfer unknown"
nri-io --lba 4096 --nlb $((big * 3)) --bs "$big" --depth 2 --seed 12 write dv || fail "max-size write"
nri-io --lba 4096 --nlb $((big * 3)) --bs "$big" --depth 2 --seed 12 verify dv || fail "max-size verify"

# a client that dropped its mapping's pages gets them back on touch
nri-io --dontneed --lba 0 --nlb 512 --bs 8 --depth 32 --seed 11 verify dv ||
	fail "verify after MADV_DONTNEED"

# ring -> dd and nvme-cli
nri-io --lba 0 --nlb 512 --seed 11 --lba-size "$lbs" gen >/tmp/want
dd if="/dev/$ns" of=/tmp/got bs="$lbs" count=512 iflag=direct 2>/dev/null || fail "dd read"
cmp /tmp/want /tmp/got || fail "dd sees other data than the ring wrote"
if command -v nvme >/dev/null; then
	nvme read "/dev/$ns" -s 0 -c 7 -z $((8 * lbs)) -d /tmp/got8 >/dev/null 2>&1 ||
		fail "nvme read"
	head -c $((8 * lbs)) /tmp/want | cmp - /tmp/got8 || fail "nvme read sees other data"
fi

# dd -> ring
nri-io --lba 20000 --nlb 256 --seed 13 --lba-size "$lbs" gen >/tmp/in
dd if=/tmp/in of="/dev/$ns" bs="$lbs" seek=20000 oflag=direct conv=notrunc 2>/dev/null ||
	fail "dd write"
nri-io --lba 20000 --nlb 256 --seed 13 verify dv || fail "ring sees other data than dd wrote"
nri-io --lba 20000 --nlb 256 --seed 14 verify dv >/dev/null 2>&1 &&
	fail "verification cannot fail: wrong seed accepted"

# counters add up
s=$(cat "$NRI_SYS/dv/submitted")
c=$(cat "$NRI_SYS/dv/completed")
i=$(cat "$NRI_SYS/dv/inflight")
[ "$s" -gt 0 ] || fail "nothing submitted"
[ "$s" = $((c + i)) ] || fail "submitted $s != completed $c + inflight $i"
[ "$(cat "$NRI_SYS/dv/bytes_written")" -ge $((768 * lbs)) ] || fail "bytes_written"
[ "$(cat "$NRI_SYS/dv/bytes_read")" -ge $((1536 * lbs)) ] || fail "bytes_read"

# the stat table: a line per queue and a total that matches the single
# values; it is read in pieces too (it is not cut at a page), and the
# pieces add up to the same table while the ring is idle
st=$NRI_SYS/dv/stat
cat "$st" >/tmp/stat.1 || fail "read $st"
nq=$(cat "$NRI_SYS/dv/nr_queues")
[ "$(wc -l </tmp/stat.1)" -eq $((nq + 3)) ] ||
	fail "stat has $(wc -l </tmp/stat.1) lines for $nq queues: $(cat /tmp/stat.1)"
read -r _ ts tc _ <<<"$(grep '^total ' /tmp/stat.1)"
[ "$ts/$tc" = "$s/$c" ] ||
	fail "stat total submitted/completed $ts/$tc, files say $s/$c"
dd if="$st" bs=37 2>/dev/null >/tmp/stat.2 || fail "read $st in 37-byte pieces"
cmp -s /tmp/stat.1 /tmp/stat.2 || fail "stat read in pieces differs: $(cat /tmp/stat.2)"
pass
